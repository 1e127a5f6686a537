package mapping

import (
	"errors"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

func TestAccountNumberSanitized(t *testing.T) {
	cases := []struct{ in, want string }{
		{"de89 3704-0044 0532 0130 00", "DE89370400440532013000"}, // transcripts/04 step 14
		{"SN08 SN01 0152 0000 0012 3456 7890", "SN08SN0101520000001234567890"},
		{"J11UFVO-77", "J11UFVO77"},
		{"00123", "00123"},
		{"a_b.c", "A_BC"},        // '_' is a word character in Python
		{"straße 1", "STRASSE1"}, // full upper-case mapping
		{"éà-12", "ÉÀ12"},
		{"e\u0301x", "EX"}, // a combining mark is not \w
		{"--- ", ""},
		{"١٢٣", "١٢٣"}, // Arabic-Indic digits are numbers
	}
	for _, c := range cases {
		if got := AccountNumber(c.in).Sanitized(); got != c.want {
			t.Errorf("Sanitized(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAccountNumberMasked(t *testing.T) {
	if got := AccountNumber("DE89 3704 0044 0532 0130 00").Masked(); got != "****3000" {
		t.Errorf("Masked = %q", got)
	}
	if got := AccountNumber("123").Masked(); got != "****" {
		t.Errorf("short Masked = %q", got)
	}
}

func TestBankNameKey(t *testing.T) {
	same := []string{"Banque Atlantique", "  banque   ATLANTIQUE ", "BANQUE\tatlantique", "banque\u00a0atlantique"}
	for _, s := range same {
		if bankNameKey(s) != bankNameKey(same[0]) {
			t.Errorf("bankNameKey(%q) = %q, want %q", s, bankNameKey(s), bankNameKey(same[0]))
		}
	}
	if bankNameKey("Cr\u00e9dit") != bankNameKey("CRE\u0301DIT") {
		t.Error("NFC and NFD spellings must be the same bank")
	}
	if bankNameKey("Bank_1") == bankNameKey("Bank%1") || bankNameKey("Bank 1") == bankNameKey("Bank_1") {
		t.Error("% and _ must be ordinary characters")
	}
}

func TestComposeIndividualName(t *testing.T) {
	// transcripts/03 step 14: onchange gives "DIALLO, AMINA X03QPYL ".
	if got := composeIndividualName("Diallo", "Amina", "X03QPYL"); got != "DIALLO, AMINA X03QPYL " {
		t.Errorf("got %q", got)
	}
	if got := composeIndividualName("", "José", ""); got != "JOSÉ " {
		t.Errorf("got %q", got)
	}
	if got := composeIndividualName("Núñez", "", ""); got != "NÚÑEZ, " {
		t.Errorf("got %q", got)
	}
}

func TestLikeLiteral(t *testing.T) {
	if got := likeLiteral(`50%_a\b`); got != `50\%\_a\\b` {
		t.Errorf("got %q", got)
	}
}

func TestAge(t *testing.T) {
	b := time.Date(1988, 4, 12, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC), 37},
		{time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC), 38},
		{time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), 38},
	} {
		if got := age(b, c.now); got != c.want {
			t.Errorf("age at %s = %d, want %d", c.now, got, c.want)
		}
	}
}

func TestPickBank(t *testing.T) {
	banks := []Bank{
		{ID: 3, Name: "Archived Bank", Active: false},
		{ID: 5, Name: "Ecobank", BIC: "ECOCSNDA", Active: true},
		{ID: 7, Name: "ECOBANK ", Active: true},
		{ID: 9, Name: "archived  bank", Active: false},
	}
	b, found, err := pickBank(banks, BankRef{Name: "ecobank"})
	if err != nil || !found || b.ID != 5 {
		t.Errorf("by name: %+v %v %v, want lowest id 5", b, found, err)
	}
	b, found, err = pickBank(banks, BankRef{Name: "whatever", BIC: "ecoc snda"})
	if err != nil || !found || b.ID != 5 {
		t.Errorf("by BIC: %+v %v %v", b, found, err)
	}
	_, found, err = pickBank(banks, BankRef{Name: "Archived bank"})
	if e, ok := AsError(err); found || !ok || e.Code != CodeUnknownReference {
		t.Errorf("archived: found=%v err=%v, want unknown_reference", found, err)
	}
	_, found, err = pickBank(banks, BankRef{Name: "New Bank"})
	if found || err != nil {
		t.Errorf("missing: found=%v err=%v", found, err)
	}
}

func TestFromOdoo(t *testing.T) {
	cases := []struct {
		err  error
		code Code
	}{
		{&odoo.Error{Kind: odoo.KindValidation, Message: "The operation cannot be completed: Contacts require a name"}, CodeValidationFailed},
		{&odoo.Error{Kind: odoo.KindUnique, Message: "The operation cannot be completed: The combination Account Number/Partner must be unique."}, CodeConflict},
		{&odoo.Error{Kind: odoo.KindMissing, Message: "Record does not exist"}, CodeNotFound},
		{&odoo.Error{Kind: odoo.KindAccessError}, CodeUpstreamForbidden},
		{&odoo.Error{Kind: odoo.KindAccessDenied}, CodeUpstreamAuthFailed},
		{&odoo.Error{Kind: odoo.KindAuthFailed}, CodeUpstreamAuthFailed},
		{&odoo.Error{Kind: odoo.KindServer, Message: "psycopg2 ..."}, CodeUpstreamError},
		{&odoo.Error{Kind: odoo.KindBadResponse}, CodeUpstreamError},
		{&odoo.Error{Kind: odoo.KindUnavailable}, CodeUpstreamUnavailable},
		{&odoo.Error{Kind: odoo.KindTransport}, CodeUpstreamUnavailable},
		{&odoo.Error{Kind: odoo.KindTimeout}, CodeUpstreamTimeout},
		{errors.New("boom"), CodeInternal},
	}
	for _, c := range cases {
		e, ok := AsError(FromOdoo(c.err))
		if !ok || e.Code != c.code {
			t.Errorf("FromOdoo(%v) = %v, want %s", c.err, e, c.code)
			continue
		}
		if e.Message == "" || e.Cause == nil {
			t.Errorf("FromOdoo(%v): message %q cause %v", c.err, e.Message, e.Cause)
		}
	}
	e, _ := AsError(FromOdoo(&odoo.Error{Kind: odoo.KindValidation,
		Message: "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Bank Accounts (res.partner.bank)\nConstraint: res_partner_bank_bank_id_fkey\n"}))
	if e.Message != "a referenced record does not exist in the registry" {
		t.Errorf("FK message leaked internals: %q", e.Message)
	}
	if FromOdoo(nil) != nil {
		t.Error("FromOdoo(nil) must be nil")
	}
}

func TestBatchError(t *testing.T) {
	ok := []UpdateResult{{Index: 0}, {Index: 1}}
	if BatchError(ok) != nil {
		t.Fatal("all ok must give nil")
	}
	res := []UpdateResult{{Index: 0}, {Index: 1, UpdateID: "X", Err: &Error{Code: CodeConflict, Message: "dup"}}}
	e, isErr := AsError(BatchError(res))
	if !isErr || e.Code != CodeConflict || len(e.Fields) != 1 || e.Fields[0].Pointer != "/1" {
		t.Fatalf("BatchError = %+v", e)
	}
}
