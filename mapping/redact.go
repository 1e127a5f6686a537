package mapping

import "regexp"

// numberLike matches a run of alphanumeric groups that each hold a digit,
// joined by single spaces or dashes: "0048 1234 5678", "SN08-SN01-0015",
// "+221 77 123 45 67". Words without digits end a run, so the prose around
// a number survives.
var numberLike = regexp.MustCompile(`\+?[A-Za-z0-9]*[0-9][A-Za-z0-9]*(?:[ -][A-Za-z0-9]*[0-9][A-Za-z0-9]*)*`)

// minRedactedDigits is the fewest digits a run needs to be redacted: record
// ids, line numbers and years stay readable; account numbers, IBANs and
// phone numbers have more.
const minRedactedDigits = 6

// RedactNumbers masks, in free text such as an Odoo error message, every
// run that could be an account or phone number (six digits or more) to its
// last four characters, as AccountNumber.Masked does. It errs towards
// masking: the text goes to logs and to clients (Odoo messages), where a
// full number must never appear.
func RedactNumbers(s string) string {
	if countDigits(s) < minRedactedDigits {
		return s
	}
	return numberLike.ReplaceAllStringFunc(s, func(run string) string {
		if countDigits(run) < minRedactedDigits {
			return run
		}
		return AccountNumber(run).Masked()
	})
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			n++
		}
	}
	return n
}
