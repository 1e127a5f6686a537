package mapping

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// isPythonWordRune mirrors Python's \w for str patterns: str.isalnum()
// (Unicode letters and numbers) or '_'. Combining marks are not word
// characters there, so they are dropped by the sanitiser too.
func isPythonWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

var folder = cases.Fold()

// collapseSpace trims s and replaces every run of white space by one blank.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// bankNameKey is how bank names are compared: Unicode NFC, trimmed, white
// space collapsed, case folded. "  Banque  ATLANTIQUE " and "banque
// atlantique" are the same bank; '%' and '_' are ordinary characters.
func bankNameKey(name string) string {
	return folder.String(collapseSpace(norm.NFC.String(name)))
}

// cleanText is how free text from a request is stored: NFC, trimmed.
func cleanText(s string) string {
	return strings.TrimSpace(norm.NFC.String(s))
}

// normalizeBIC upper-cases a BIC and drops blanks inside it.
func normalizeBIC(bic string) string {
	return strings.ToUpper(strings.Join(strings.Fields(bic), ""))
}

// likeLiteral escapes s for Odoo's like/ilike operators, which hand the value
// to PostgreSQL LIKE without escaping: '%' and '_' would be wildcards.
func likeLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// composeIndividualName builds the name the OpenSPP registrant form computes
// (transcripts/03 step 14, res.partner.onchange): "FAMILY, GIVEN ADDL "
// upper-cased, trailing blank included, so records made through the proxy
// look like those made in the UI.
func composeIndividualName(family, given, addl string) string {
	var b strings.Builder
	if family != "" {
		b.WriteString(family + ", ")
	}
	if given != "" {
		b.WriteString(given + " ")
	}
	if addl != "" {
		b.WriteString(addl + " ")
	}
	return upperCaser.String(b.String())
}
