// Package mapping holds the domain vocabulary of g2p-bank-proxy: the REST
// request and response types of the compatible registry endpoints (wire keys
// of OpenSPP's g2p_registry_rest_api + g2p_bank_rest_api), their strict
// decoding and validation, the translation to and from Odoo values, bank
// resolution with its cache, the stable error codes, and the Registry
// service that ties them together.
//
// mapping knows nothing about HTTP: package proxy maps Error codes to
// statuses. It reaches Odoo only through the small Odoo interface, which
// *odoo.Client satisfies.
//
// Round trips (with banks and reference data cached): creating an
// individual with any number of ids, phones and accounts is one create and
// one read; reading one registrant is one call; a page of registrants or
// groups with all children and the total count is one call.
package mapping
