package emulator

import (
	"math/big"
	"strings"
)

// ibanSpec is the part of schwifty's country registry that
// IBAN.generate needs: the lengths of bank(+branch) code and account code.
type ibanSpec struct {
	bankLen, accountLen int
}

// ibanSpecs covers the countries the corpus and the demo seed use; other
// countries fail like schwifty does for an unknown country code.
var ibanSpecs = map[string]ibanSpec{
	"DE": {8, 10},
	"FR": {10, 13},
	"SN": {10, 12},
	"GB": {10, 8},
	"NL": {4, 10},
	"BE": {3, 9},
	"ES": {8, 12},
}

// iban emulates g2p_bank's non-stored compute
// IBAN.generate(bank.country.code, bank_code=bank.bic, account_code=acc_number)
// including the exceptions recorded in transcripts/09.
func (e *env) iban(r row) (any, *Fault) {
	acc, _ := r["acc_number"].(string)
	bid, ok := r["bank_id"].(int64)
	if !ok || acc == "" {
		return "", nil
	}
	br, ok := e.j.get("res.bank", bid)
	if !ok {
		return "", nil
	}
	cid, ok := br["country"].(int64)
	if !ok {
		return "", nil
	}
	cr, ok := e.j.get("res.country", cid)
	if !ok {
		return "", nil
	}
	code, _ := cr["code"].(string)
	bic, ok := br["bic"].(string)
	if !ok {
		return nil, newFault(excType, "expected string or bytes-like object, got 'bool'")
	}
	spec, ok := ibanSpecs[code]
	if !ok {
		return nil, newFault("schwifty.exceptions.InvalidCountryCode", "Unknown country-code '%s'", code)
	}
	bank := cleanIBANPart(bic)
	account := cleanIBANPart(acc)
	if len(bank) > spec.bankLen {
		return nil, newFault("schwifty.exceptions.InvalidBankCode", "Bank code exceeds maximum size %d", spec.bankLen)
	}
	if len(account) > spec.accountLen {
		return nil, newFault("schwifty.exceptions.InvalidAccountCode", "Account code exceeds maximum size %d", spec.accountLen)
	}
	bban := strings.Repeat("0", spec.bankLen-len(bank)) + bank + strings.Repeat("0", spec.accountLen-len(account)) + account
	check, f := ibanChecksum(code, bban)
	if f != nil {
		return nil, f
	}
	return code + check + bban, nil
}

// cleanIBANPart removes blanks and upper-cases, like schwifty's clean().
func cleanIBANPart(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ibanChecksum computes the ISO 7064 mod-97 check digits; a character
// outside 0-9A-Z fails like schwifty's alphabet lookup ("substring not
// found").
func ibanChecksum(country, bban string) (string, *Fault) {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var digits strings.Builder
	for _, c := range bban + country + "00" {
		i := strings.IndexRune(alphabet, c)
		if i < 0 {
			return "", newFault(excValue, "substring not found")
		}
		digits.WriteString(big.NewInt(int64(i)).String())
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	mod := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	c := 98 - mod
	s := big.NewInt(c).String()
	if c < 10 {
		s = "0" + s
	}
	return s, nil
}
