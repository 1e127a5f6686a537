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

// bankNameKey is how bank names are compared: Unicode NFKC (full-width
// "Ｂａｎｋ" is "Bank"), invisible format characters (zero-width space,
// byte-order mark, Unicode category Cf) dropped, trimmed, white space
// collapsed, case folded. "  Banque  ATLANTIQUE " and "banque atlantique"
// are the same bank; '%' and '_' are ordinary characters. Case folding is
// Unicode's default, not Turkish: "ı" (dotless) and "i" stay different.
func bankNameKey(name string) string {
	visible := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFKC.String(name))
	return folder.String(collapseSpace(visible))
}

// cleanText is how free text from a request is stored: NFC, trimmed of
// white space and of invisible format characters (category Cf, e.g. a
// zero-width space), so a value made only of those counts as empty.
func cleanText(s string) string {
	return strings.TrimFunc(norm.NFC.String(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
	})
}

// normalizeBIC upper-cases a BIC and drops blanks inside it; BICs are
// stored in this form.
func normalizeBIC(bic string) string {
	return strings.ToUpper(strings.Join(strings.Fields(bic), ""))
}

// bicKey is how BICs are compared: normalised, and an 11-character BIC of
// the primary office (branch code "XXX") equals its 8-character form —
// COBADEFFXXX and COBADEFF are one bank.
func bicKey(bic string) string {
	b := normalizeBIC(bic)
	if len(b) == 11 && strings.HasSuffix(b, "XXX") {
		return b[:8]
	}
	return b
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
