package mapping

import (
	"fmt"
	"regexp"
	"strings"
)

// IBAN and BIC rules. They are plain functions so that every endpoint that
// takes bank details can apply the same checks; each returns an error whose
// text is meant for the client (the caller adds the JSON pointer).

// ibanLengths is the length of an IBAN per country: the countries of the
// SWIFT IBAN registry. An IBAN-shaped number from one of them must be a
// valid IBAN.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
	"YE": 30,
}

// ibanLengthsOutsideRegistry are countries whose banks issue IBANs that the
// SWIFT registry does not list yet (the WAEMU/CEMAC zones among others, where
// registries built on OpenSPP run). Their IBANs are checked like the others,
// but domestic account numbers at their banks stay allowed.
var ibanLengthsOutsideRegistry = map[string]int{
	"AO": 25, "BF": 28, "BJ": 28, "CF": 27, "CG": 27, "CI": 28, "CM": 27, "CV": 25,
	"DZ": 26, "GA": 27, "GQ": 27, "GW": 25, "IR": 26, "KM": 27, "MA": 28, "MG": 27,
	"ML": 28, "MZ": 25, "NE": 28, "SN": 28, "TD": 27, "TG": 28,
}

var (
	ibanShape = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]+$`)
	bicShape  = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
)

// compactIBAN is an account number without separators, upper-cased: the
// sanitized form Odoo compares.
func compactIBAN(s string) string { return AccountNumber(s).Sanitized() }

// IBAN lengths: NO has the shortest; ISO 13616 caps them at 34.
const (
	minIBANLength = 15
	maxIBANLength = 34
)

// LooksLikeIBAN reports whether an account number, separators and case
// aside, has the shape of an IBAN: two letters, two digits, then letters and
// digits, 15 to 34 characters in all. Such a number is validated with
// ValidateIBAN. Shorter references such as "SN-001" are not IBANs.
func LooksLikeIBAN(number string) bool {
	c := compactIBAN(number)
	return len(c) >= minIBANLength && len(c) <= maxIBANLength && ibanShape.MatchString(c)
}

// sepaCountries are the countries of the SEPA scheme, where the IBAN is the
// only domestic account identifier. Many other registry countries (BR, RU,
// PK, ...) issue IBANs but still use domestic numbers for payments, so a
// domestic number at their banks is allowed.
var sepaCountries = map[string]bool{
	"AD": true, "AT": true, "BE": true, "BG": true, "CH": true, "CY": true, "CZ": true, "DE": true,
	"DK": true, "EE": true, "ES": true, "FI": true, "FR": true, "GB": true, "GI": true, "GR": true,
	"HR": true, "HU": true, "IE": true, "IS": true, "IT": true, "LI": true, "LT": true, "LU": true,
	"LV": true, "MC": true, "MT": true, "NL": true, "NO": true, "PL": true, "PT": true, "RO": true,
	"SE": true, "SI": true, "SK": true, "SM": true, "VA": true,
}

// UsesIBAN reports whether account numbers in the country (ISO 3166
// alpha-2) are IBANs: the SEPA countries.
func UsesIBAN(country string) bool {
	return sepaCountries[strings.ToUpper(country)]
}

// ValidateIBAN checks an IBAN written with any spacing, dashes or case: a
// known country, that country's length, and the ISO 7064 mod 97-10 check
// digits. It returns nil for a valid IBAN and otherwise an error saying what
// is wrong, in words a client can act on.
func ValidateIBAN(number string) error {
	c := compactIBAN(number)
	if !ibanShape.MatchString(c) {
		return fmt.Errorf("is not an IBAN: an IBAN starts with a country code and two check digits, followed by letters and digits")
	}
	country := c[:2]
	want, ok := ibanLengths[country]
	if !ok {
		want, ok = ibanLengthsOutsideRegistry[country]
	}
	if !ok {
		return fmt.Errorf("is not a valid IBAN: %s is not a country that issues IBANs", country)
	}
	if len(c) != want {
		return fmt.Errorf("is not a valid IBAN: an IBAN from %s has %d characters, this one has %d", country, want, len(c))
	}
	if ibanMod97(c) != 1 {
		return fmt.Errorf("is not a valid IBAN: the check digits %s do not match the rest of the number (ISO 7064 mod 97)", c[2:4])
	}
	return nil
}

// ibanMod97 moves the country and check digits to the end, reads letters
// as 10..35 and returns the whole number modulo 97, digit by digit (the
// number is far too long for an integer). c is upper-case alphanumeric.
func ibanMod97(c string) int {
	r := 0
	for _, ch := range c[4:] + c[:4] {
		if ch >= 'A' && ch <= 'Z' {
			v := int(ch-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(ch-'0')) % 97
		}
	}
	return r
}

// ValidateBIC checks the shape of a BIC (ISO 9362) written with any case or
// blanks: 8 or 11 characters, 4 letters for the bank, 2 letters for the
// country, 2 letters or digits for the location and, optionally, 3 for the
// branch. It returns nil or an error saying what is wrong.
func ValidateBIC(bic string) error {
	b := normalizeBIC(bic)
	switch {
	case len(b) != 8 && len(b) != 11:
		return fmt.Errorf("must be a BIC of 8 or 11 characters, not %d", len([]rune(b)))
	case !bicShape.MatchString(b):
		return fmt.Errorf("must be a BIC: 4 letters (bank), 2 letters (country), 2 letters or digits (location), optionally 3 letters or digits (branch)")
	}
	return nil
}

// BICCountry returns the country code inside a valid BIC, "" otherwise.
func BICCountry(bic string) string {
	b := normalizeBIC(bic)
	if !bicShape.MatchString(b) {
		return ""
	}
	return b[4:6]
}

// checkAccountFields adds to p what is wrong with an account number and the
// BIC of its bank, for every endpoint that takes bank details (presence is
// the caller's rule): a number without letters or digits, an IBAN-shaped
// number that fails ValidateIBAN, a malformed BIC, and a non-IBAN number at
// a bank of an IBAN country (ibanRequiredAt). An empty number or bic is not
// checked. ptr is the item's JSON pointer ("" for a whole body).
func checkAccountFields(p *problems, ptr string, number AccountNumber, bic string) {
	switch {
	case number == "":
	case number.Sanitized() == "":
		p.add(ptr+"/acc_number", "must contain letters or digits")
	case LooksLikeIBAN(string(number)):
		if err := ValidateIBAN(string(number)); err != nil {
			p.add(ptr+"/acc_number", "%s", err.Error())
		}
	}
	if bic == "" {
		return
	}
	if err := ValidateBIC(bic); err != nil {
		p.add(ptr+"/bic", "%s", err.Error())
		return
	}
	if number.Sanitized() != "" {
		if msg := ibanRequiredAt(number, bic); msg != "" {
			p.add(ptr+"/acc_number", "%s", msg)
		}
	}
}
