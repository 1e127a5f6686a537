package mapping

import (
	"context"
	"strings"
)

// BankEntry is one res.bank of the directory.
type BankEntry struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	BIC    *string `json:"bic"`
	Active bool    `json:"active"`
}

// Banks returns the bank directory as the resolver sees it, in id order,
// archived banks included (active false): with name, the banks whose name
// equals it after the resolver's normalisation (bankNameKey); with bic, the
// banks with that BIC (case and blanks ignored, XXX branch = 8-character form).
// When a request names a bank, the resolver uses the first active entry
// this returns for the same name or BIC. One Odoo call.
func (a *Accounts) Banks(ctx context.Context, name, bic string) ([]BankEntry, error) {
	if strings.TrimSpace(bic) != "" {
		if err := ValidateBIC(bic); err != nil {
			return nil, invalidField("bic", err.Error())
		}
	}
	dir, err := a.banks.directory(ctx)
	if err != nil {
		return nil, FromOdoo(err)
	}
	nameKey, wantBIC := bankNameKey(name), bicKey(bic)
	out := []BankEntry{}
	for _, b := range dir {
		if (nameKey != "" && bankNameKey(b.Name) != nameKey) || (wantBIC != "" && bicKey(b.BIC) != wantBIC) {
			continue
		}
		e := BankEntry{ID: b.ID, Name: b.Name, Active: b.Active}
		if b.BIC != "" {
			e.BIC = &b.BIC
		}
		out = append(out, e)
	}
	return out, nil
}
