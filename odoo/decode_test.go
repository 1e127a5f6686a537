package odoo

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Concrete values read from the recorded files (both protocols).

func TestDecodeReadExplicitFields(t *testing.T) {
	for _, tc := range []struct {
		file           string
		id             int64
		bankIDs        []int64
		created        string
		nameWithSuffix string
	}{
		{"transcripts/03-individual-create/16-partner-read-explicit-fields.response.xml", 252, []int64{241, 242}, "2026-12-03 18:41:38", "DIALLO, AMINA X03QPYL "},
		{"transcripts-jsonrpc/03-individual-create/16-partner-read-explicit-fields.response.json", 259, []int64{244, 245}, "2026-12-03 18:41:39", "DIALLO, AMINA J03QPYL "},
	} {
		t.Run(tc.file, func(t *testing.T) {
			recs := decodeRecords(t, tc.file)
			if len(recs) != 1 {
				t.Fatalf("got %d records", len(recs))
			}
			r := recs[0]
			if r.ID() != tc.id {
				t.Errorf("id %d, want %d", r.ID(), tc.id)
			}
			if s, ok := r.String("name"); !ok || s != tc.nameWithSuffix {
				t.Errorf("name %q %v", s, ok)
			}
			if s, ok := r.String("age"); !ok || s != "38" {
				t.Errorf("age %q %v", s, ok)
			}
			if _, ok := r.String("email"); ok {
				t.Error("email false must be absent")
			}
			if _, ok := r.String("phone"); ok {
				t.Error("phone false must be absent")
			}
			if _, ok := r.Many2One("kind"); ok {
				t.Error("kind false must be absent")
			}
			if !r.Bool("is_registrant") || r.Bool("is_group") || !r.Bool("active") {
				t.Error("booleans wrong")
			}
			if m, ok := r.Many2One("company_id"); !ok || m != (Many2One{ID: 1, Name: "My Company"}) {
				t.Errorf("company_id %+v %v", m, ok)
			}
			if m, ok := r.Many2One("create_uid"); !ok || m != (Many2One{ID: 2, Name: "Administrator"}) {
				t.Errorf("create_uid %+v %v", m, ok)
			}
			if got := r.IDs("bank_ids"); !reflect.DeepEqual(got, tc.bankIDs) {
				t.Errorf("bank_ids %v, want %v", got, tc.bankIDs)
			}
			if f, ok := r.Float("income"); !ok || f != 0 {
				t.Errorf("income %v %v", f, ok)
			}
			if _, ok := r["income"].(float64); !ok {
				t.Errorf("income decoded as %T, want float64", r["income"])
			}
			if d, ok := r.Date("birthdate"); !ok || !d.Equal(time.Date(1988, 4, 12, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("birthdate %v %v", d, ok)
			}
			want, _ := time.Parse(time.DateTime, tc.created)
			if d, ok := r.Datetime("create_date"); !ok || !d.Equal(want) || d.Location() != time.UTC {
				t.Errorf("create_date %v %v", d, ok)
			}
			if _, ok := r.Date("kind"); ok {
				t.Error("Date of false must be absent")
			}
		})
	}
}

func TestDecodeBankReadFalseAndTypes(t *testing.T) {
	recs := decodeRecords(t, "transcripts/02-bank-lookup/04-bank-read.response.xml")
	if len(recs) != 2 {
		t.Fatalf("got %d", len(recs))
	}
	if recs[0].ID() != 122 || recs[1].ID() != 123 {
		t.Fatalf("ids %d %d", recs[0].ID(), recs[1].ID())
	}
	if _, ok := recs[0].String("bic"); ok {
		t.Error("bic false must be absent")
	}
	if b, _ := recs[1].String("bic"); b != "TBX02QPY" {
		t.Errorf("bic %q", b)
	}
	if _, ok := recs[0].Many2One("country"); ok {
		t.Error("country false must be absent")
	}
	if d, _ := recs[1].String("display_name"); d != "Ecobank Test X02QPYL - TBX02QPY" {
		t.Errorf("display_name %q", d)
	}
	if _, ok := recs[0]["id"].(int64); !ok {
		t.Errorf("id decoded as %T", recs[0]["id"])
	}
}

func TestDecodeMany2OneBareIDWithLoadClassicWrite(t *testing.T) {
	recs := decodeRecords(t, "transcripts/03-individual-create/19-partner.bank-search_read-load-classic-write.response.xml")
	if m, ok := recs[0].Many2One("bank_id"); !ok || m != (Many2One{ID: 134}) {
		t.Errorf("bank_id %+v %v", m, ok)
	}
	if p, ok := recs[1].Int64("partner_id"); !ok || p != 252 {
		t.Errorf("partner_id %d %v", p, ok)
	}
}

func TestDecodeEmptyStringIsPresent(t *testing.T) {
	// <value><string></string></value>: kolo gives nil, Python means "".
	r := decodeRecords(t, "transcripts/10-wire-encodings/13-read-after-empty-value-element.response.xml")[0]
	if s, ok := r.String("given_name"); !ok || s != "" {
		t.Errorf("given_name %q %v, want empty and present", s, ok)
	}
	if _, ok := r.String("address"); ok {
		t.Error("address false must be absent")
	}
	v := decodeFile(t, "transcripts/01-handshake/01-version.response.xml").(map[string]any)
	info := v["server_version_info"].([]any)
	if info[5] != "" || info[0] != int64(17) {
		t.Errorf("server_version_info %#v", info)
	}
}

func TestDecodeTextEscapes(t *testing.T) {
	r := decodeRecords(t, "transcripts/08-faults/75-read-cr-lf-text.response.xml")[0]
	if s, _ := r.String("address"); s != "line1\nline2\nline3\nend" {
		t.Errorf("address %q", s)
	}
	r = decodeRecords(t, "transcripts/10-wire-encodings/35-read-go-escaped-entities-via-jsonrpc.response.json")[0]
	if s, _ := r.String("address"); s != "quote\" apos' amp& lt< gt> tab\t nl\n cr\r end" {
		t.Errorf("address %q", s)
	}
	r = decodeRecords(t, "transcripts/08-faults/106-read-income-after-bigint.response.xml")[0]
	if f, ok := r.Float("income"); !ok || f != 1099511627776 {
		t.Errorf("income %v", f)
	}
}

func TestDecodeWebRead(t *testing.T) {
	for _, tc := range []struct {
		file                string
		id, acc1, bank      int64
		bankName, accNumber string
	}{
		{"transcripts/11-web-read/07-web_read-nested-spec.response.xml", 329, 321, 160, "Banque Régionale X11DKAQ", "X11DKAQ-77"},
		{"transcripts-jsonrpc/11-web-read/07-web_read-nested-spec.response.json", 331, 323, 161, "Banque Régionale J11UFVO", "J11UFVO-77"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := decodeRecords(t, tc.file)[0]
			if r.ID() != tc.id {
				t.Fatalf("id %d", r.ID())
			}
			accs := r.Records("bank_ids")
			if len(accs) != 2 || accs[0].ID() != tc.acc1 {
				t.Fatalf("bank_ids %v", accs)
			}
			if got := r.IDs("bank_ids"); !reflect.DeepEqual(got, []int64{tc.acc1, tc.acc1 + 1}) {
				t.Errorf("IDs(bank_ids) %v", got)
			}
			bank, ok := accs[0].Record("bank_id")
			if !ok || bank.ID() != tc.bank {
				t.Fatalf("bank_id %v %v", bank, ok)
			}
			if bic, _ := bank.String("bic"); bic != "BRSNSNDA" {
				t.Errorf("bic %q", bic)
			}
			if m, ok := accs[0].Many2One("bank_id"); !ok || m != (Many2One{ID: tc.bank, Name: tc.bankName}) {
				t.Errorf("Many2One(bank_id) %+v", m)
			}
			if _, ok := accs[1].Record("bank_id"); ok {
				t.Error("bank_id false must be absent")
			}
			if _, ok := accs[1].Many2One("bank_id"); ok {
				t.Error("bank_id false must be absent")
			}
			if n, _ := accs[1].String("acc_number"); n != tc.accNumber {
				t.Errorf("acc_number %q", n)
			}
			regs := r.Records("reg_ids")
			if len(regs) != 1 {
				t.Fatalf("reg_ids %v", regs)
			}
			if _, ok := regs[0].Date("expiry_date"); ok {
				t.Error("expiry_date false must be absent")
			}
			if d, ok := r.Records("phone_number_ids")[0].Date("date_collected"); !ok || d.Format(time.DateOnly) != "2026-12-03" {
				t.Errorf("date_collected %v", d)
			}
		})
	}
}

func TestDecodeWebSearchReadDisplayName(t *testing.T) {
	m := decodeFile(t, "transcripts/11-web-read/13-web_search_read-bank-feed.response.xml").(map[string]any)
	if m["length"] != int64(2) {
		t.Errorf("length %v", m["length"])
	}
	recs, err := records("", "", m["records"])
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := recs[0].Many2One("partner_id"); !ok || p != (Many2One{ID: 329, Name: "BARRY, AÏSSATOU X11DKAQ"}) {
		t.Errorf("partner_id %+v", p)
	}
}

func TestDecodeFieldsGetAndBatchCreate(t *testing.T) {
	v := decodeFile(t, "transcripts/03-individual-create/07-partner-fields_get-gender-selection.response.xml").(map[string]any)
	fi := fieldInfo("gender", Record(v["gender"].(map[string]any)))
	want := FieldInfo{Name: "gender", String: "Gender", Type: "selection",
		Selection: [][2]string{{"female", "Female"}, {"male", "Male"}, {"unspecified_x03qpyl", "Unspecified X03QPYL"}}}
	if !reflect.DeepEqual(fi, want) {
		t.Errorf("fields_get gender %+v", fi)
	}
	ids, err := int64s("", "", decodeFile(t, "transcripts/03-individual-create/24-partner-create-batch-list.response.xml"))
	if err != nil || !reflect.DeepEqual(ids, []int64{253, 254, 255}) {
		t.Errorf("batch ids %v %v", ids, err)
	}
}

func TestDecodeFaultSamples(t *testing.T) {
	for _, tc := range []struct {
		file    string
		kind    Kind
		code    int
		name    string
		message string
	}{
		{"transcripts/04-atomicity/04-create-nested-duplicate-acc_number.response.xml", KindUnique, 2, "",
			"The operation cannot be completed: The combination Account Number/Partner must be unique."},
		{"transcripts-jsonrpc/04-atomicity/04-create-nested-duplicate-acc_number.response.json", KindUnique, 2, "odoo.exceptions.ValidationError",
			"The operation cannot be completed: The combination Account Number/Partner must be unique."},
		{"transcripts/01-handshake/08-execute_kw-wrong-password.response.xml", KindAccessDenied, 3, "odoo.exceptions.AccessDenied", "Access Denied"},
		{"transcripts/01-handshake/09-execute_kw-unknown-uid.response.xml", KindMissing, 2, "odoo.exceptions.MissingError",
			"Record does not exist or has been deleted.\n(Record: res.users(999999,), User: 999999)"},
		{"transcripts/01-handshake/14-execute_kw-private-method.response.xml", KindAccessError, 4, "odoo.exceptions.AccessError",
			"Private methods (such as 'res.partner._search') cannot be called remotely."},
		{"transcripts/01-handshake/13-execute_kw-unknown-method.response.xml", KindServer, 1, "builtins.AttributeError",
			"The method 'res.partner.no_such_method' does not exist"},
		{"transcripts/07-search-paging/22-search_read-write_date-bad-string.response.xml", KindServer, 1, "psycopg2.errors.InvalidDatetimeFormat",
			`invalid input syntax for type timestamp: "not-a-date 00:00:00"`},
		{"transcripts-jsonrpc/07-search-paging/22-search_read-write_date-bad-string.response.json", KindServer, 1, "psycopg2.errors.InvalidDatetimeFormat",
			`invalid input syntax for type timestamp: "not-a-date 00:00:00"`},
		{"transcripts/03-individual-create/12-partner-create-without-name.response.xml", KindValidation, 2, "",
			"The operation cannot be completed: Contacts require a name"},
		{"transcripts/04-atomicity/11-create-nested-same-id_type-twice.response.xml", KindUnique, 2, "", "ID Type must be unique."},
		{"transcripts/09-iban/17-read-iban-acc-DE-swift-bic.response.xml", KindServer, 1, "schwifty.exceptions.InvalidBankCode",
			"Bank code exceeds maximum size 8"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			e := decodeFault(t, tc.file)
			if e.Kind != tc.kind || e.Code != tc.code || e.Name != tc.name || e.Message != tc.message {
				t.Errorf("got kind=%s code=%d name=%q message=%q", e.Kind, e.Code, e.Name, e.Message)
			}
			if e.IsAccountNumberUnique() != strings.Contains(tc.file, "duplicate-acc_number") {
				t.Errorf("IsAccountNumberUnique %v", e.IsAccountNumberUnique())
			}
			if e.Code == 1 && !strings.HasPrefix(e.Debug, "Traceback") {
				t.Errorf("Debug lost the traceback: %q", e.Debug)
			}
		})
	}
}
