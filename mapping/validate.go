package mapping

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// A draft is a validated request, translated to Odoo values except for the
// banks: those are resolved (and possibly created) only once the whole
// payload is known to be valid, so a bad request never leaves a bank behind.

type idDraft struct {
	typeID   int64
	typeName string
	vals     odoo.Values // id_type, value, expiry_date, status, description
}

type phoneDraft struct {
	number string
	vals   odoo.Values
}

type accountDraft struct {
	pointer string
	bank    BankRef
	number  AccountNumber // trimmed, as sent
	holder  string
}

type registrantDraft struct {
	vals     odoo.Values // scalar partner fields
	ids      []idDraft
	phones   []phoneDraft
	accounts []accountDraft
	// nameSent: the request gave a name, so none is composed
	nameSent bool
}

// mode says how null and absent keys are treated.
type mode int

const (
	modeCreate mode = iota // null = absent
	modeUpdate             // null clears, absent leaves alone
)

var (
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	// earliestBirthdate: an earlier one is a typing error (a year of 0019
	// or 1088), not a living beneficiary.
	earliestBirthdate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
)

// validator validates requests against the reference data.
type validator struct {
	ref *referenceData
	now time.Time
	p   problems
}

// text copies a string field into vals: trimmed; an empty or null value is
// left out on create and written as false (cleared) on update.
func (v *validator) text(vals odoo.Values, field string, n Nullable[string], m mode) {
	switch {
	case n.Present() && cleanText(n.Value) != "":
		vals[field] = cleanText(n.Value)
	case n.Set && m == modeUpdate:
		vals[field] = false
	}
}

// date copies a date field; future says whether a future date is allowed.
func (v *validator) date(vals odoo.Values, field, ptr string, n Nullable[Date], m mode, future bool) (time.Time, bool) {
	if n.Present() && n.Value != "" {
		t, _ := n.Value.Time() // format checked by DecodeStrict
		if !future && t.After(v.now) {
			v.p.add(ptr, "must not be in the future")
			return time.Time{}, false
		}
		vals[field] = string(n.Value)
		return t, true
	}
	if n.Set && m == modeUpdate {
		vals[field] = false
	}
	return time.Time{}, false
}

// registrant validates the keys individuals and groups share.
func (v *validator) registrant(ctx context.Context, f *RegistrantFields, ptr string, m mode) (*registrantDraft, error) {
	d := &registrantDraft{vals: odoo.Values{"is_registrant": true}}
	if f.Name.Present() && cleanText(f.Name.Value) != "" {
		d.vals["name"] = cleanText(f.Name.Value)
		d.nameSent = true
	} else if f.Name.Set && m == modeUpdate {
		v.p.add(ptr+"/name", "cannot be cleared")
	}
	v.text(d.vals, "email", f.Email, m)
	if e, ok := d.vals["email"].(string); ok && !emailPattern.MatchString(e) {
		v.p.add(ptr+"/email", "is not an email address")
	}
	v.text(d.vals, "address", f.Address, m)
	v.date(d.vals, "registration_date", ptr+"/registration_date", f.RegistrationDate, m, false)
	if f.Image1920.Present() && f.Image1920.Value != "" {
		if _, err := base64.StdEncoding.DecodeString(f.Image1920.Value); err != nil {
			v.p.add(ptr+"/image_1920", "must be base64")
		} else {
			d.vals["image_1920"] = f.Image1920.Value
		}
	} else if f.Image1920.Set && m == modeUpdate {
		d.vals["image_1920"] = false
	}
	if err := v.ids(ctx, f.IDs, ptr+"/ids", d); err != nil {
		return nil, err
	}
	v.phones(f.PhoneNumbers, ptr+"/phone_numbers", d)
	v.accounts(f.BankIDs, ptr+"/bank_ids", d)
	return d, nil
}

func (v *validator) ids(ctx context.Context, items []RegistrationIDRequest, ptr string, d *registrantDraft) error {
	seen := map[int64]int{}
	for i, it := range items {
		ip := ptr + "/" + strconv.Itoa(i)
		typeName, value := cleanText(it.IDType), cleanText(it.Value)
		if typeName == "" {
			v.p.add(ip+"/id_type", "is required")
		}
		if value == "" {
			v.p.add(ip+"/value", "is required")
		}
		if typeName == "" {
			continue
		}
		t, found, err := v.ref.idType(ctx, typeName)
		if err != nil {
			return err
		}
		if !found {
			v.p.ref(LegacyIDType, ip+"/id_type", "unknown ID type %q%s", typeName, v.ref.accepted(ctx, refIDTypes, typeName))
			continue
		}
		if prev, dup := seen[t.ID]; dup {
			v.p.dup(ip+"/id_type", "a registrant has one ID per type; %s/%d has the same type", ptr, prev)
			continue
		}
		seen[t.ID] = i
		if value != "" && t.Validation != nil && !t.Validation.MatchString(value) {
			v.p.addCode(CodeValidationFailed, LegacyIDType, FieldError{Pointer: ip + "/value"}, "The provided %s '%s' is invalid.", idLabel(t.Name), value)
			continue
		}
		vals := odoo.Values{"id_type": t.ID, "value": value}
		v.date(vals, "expiry_date", ip+"/expiry_date", it.ExpiryDate, modeUpdate, true)
		if it.Status.Present() {
			switch s := strings.ToLower(strings.TrimSpace(it.Status.Value)); s {
			case "valid", "invalid":
				vals["status"] = s
			case "":
				vals["status"] = false
			default:
				v.p.add(ip+"/status", "must be \"valid\" or \"invalid\"")
			}
		} else if it.Status.Set {
			vals["status"] = false
		}
		v.text(vals, "description", it.Description, modeUpdate)
		d.ids = append(d.ids, idDraft{typeID: t.ID, typeName: t.Name, vals: vals})
	}
	return nil
}

// idLabel names an id type in a sentence the way the original's messages
// do ("Passport ID"), without doubling the word for types already named so
// ("National ID", not "National ID ID").
func idLabel(typeName string) string {
	if f := strings.Fields(typeName); len(f) > 0 && strings.EqualFold(f[len(f)-1], "ID") {
		return typeName
	}
	return typeName + " ID"
}

// phoneKey is what phone numbers are compared by, in a request and against
// a registrant's stored phones: the digits, with a "+" before the first one
// or the international call prefix "00" both meaning that a country code
// follows. "+221 77 123 45 67", "(+221) 771234567" and "0022177 1234567"
// are one phone. A national spelling ("77 123 45 67") stays another phone
// than the international one: the registrant's country, hence the code to
// add, is not known. The number is stored as the client sent it.
func phoneKey(s string) string {
	var digits strings.Builder
	international := false
	for _, r := range s {
		switch {
		case r == '+' && digits.Len() == 0:
			international = true
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		}
	}
	d := digits.String()
	if rest, ok := strings.CutPrefix(d, "00"); ok && !international {
		d, international = rest, true
	}
	if international {
		return "+" + d
	}
	return d
}

func (v *validator) phones(items []PhoneNumberRequest, ptr string, d *registrantDraft) {
	seen := map[string]int{}
	for i, it := range items {
		ip := ptr + "/" + strconv.Itoa(i)
		no := cleanText(it.PhoneNo)
		if no == "" {
			v.p.add(ip+"/phone_no", "is required")
			continue
		}
		if !strings.ContainsAny(no, "0123456789") {
			v.p.add(ip+"/phone_no", "is not a phone number")
			continue
		}
		if prev, dup := seen[phoneKey(no)]; dup {
			v.p.dup(ip+"/phone_no", "same number as %s/%d", ptr, prev)
			continue
		}
		seen[phoneKey(no)] = i
		vals := odoo.Values{"phone_no": no}
		v.date(vals, "date_collected", ip+"/date_collected", it.DateCollected, modeCreate, false)
		d.phones = append(d.phones, phoneDraft{number: no, vals: vals})
	}
}

func (v *validator) accounts(items []BankAccountRequest, ptr string, d *registrantDraft) {
	seen := map[string]int{}
	for i, it := range items {
		ip := ptr + "/" + strconv.Itoa(i)
		number := AccountNumber(cleanText(string(it.AccNumber.Value)))
		bankName := collapseSpace(cleanText(it.BankName.Value))
		bic := normalizeBIC(it.BIC.Value)
		bad := false
		if !it.AccNumber.Present() || number == "" {
			v.p.add(ip+"/acc_number", "is required")
			bad = true
		}
		if bankName == "" && bic == "" {
			v.p.add(ip, "bank_name or bic is required")
			bad = true
		}
		before := len(v.p.fields)
		checkAccountFields(&v.p, ip, number, bic)
		if bad || len(v.p.fields) > before {
			continue
		}
		if prev, dup := seen[number.Sanitized()]; dup {
			v.p.dup(ip+"/acc_number", "same account number as %s/%d (numbers are compared without spaces, punctuation and case)", ptr, prev)
			continue
		}
		seen[number.Sanitized()] = i
		d.accounts = append(d.accounts, accountDraft{pointer: ip, bank: BankRef{Name: bankName, BIC: bic},
			number: number, holder: cleanText(it.AccHolderName.Value)})
	}
}

// person validates the keys of an individual and completes the draft.
func (v *validator) person(ctx context.Context, f *PersonFields, ptr string, d *registrantDraft, m mode) error {
	d.vals["is_group"] = false
	if f.GivenName.Present() && cleanText(f.GivenName.Value) == "" {
		v.p.add(ptr+"/given_name", "must not be empty (leave it out or send null)")
	}
	v.text(d.vals, "given_name", f.GivenName, m)
	v.text(d.vals, "family_name", f.FamilyName, m)
	v.text(d.vals, "addl_name", f.AddlName, m)
	v.text(d.vals, "birth_place", f.BirthPlace, m)
	birth, hasBirth := v.date(d.vals, "birthdate", ptr+"/birthdate", f.Birthdate, m, false)
	if hasBirth && birth.Before(earliestBirthdate) {
		v.p.add(ptr+"/birthdate", "must not be before %s", earliestBirthdate.Format(dateLayout))
	}
	if reg, ok := d.vals["registration_date"].(string); ok && hasBirth {
		if rt, _ := Date(reg).Time(); rt.Before(birth) {
			v.p.add(ptr+"/registration_date", "must not be before the birthdate")
		}
	}
	if gender := cleanText(f.Gender.Value); f.Gender.Present() && gender != "" {
		g, found, err := v.ref.gender(ctx, gender)
		if err != nil {
			return err
		}
		if !found {
			v.p.ref(LegacyGender, ptr+"/gender", "unknown gender %q%s", gender, v.ref.accepted(ctx, refGenders, gender))
		} else {
			d.vals["gender"] = g.Value
		}
	} else if f.Gender.Set && m == modeUpdate {
		d.vals["gender"] = false
	}
	if m == modeCreate && !d.nameSent {
		name := composeIndividualName(str2(d.vals, "family_name"), str2(d.vals, "given_name"), str2(d.vals, "addl_name"))
		if strings.TrimSpace(name) == "" {
			v.p.add(ptr+"/name", "name, or given_name/family_name to compose it, is required")
		} else {
			d.vals["name"] = name
		}
	}
	return nil
}

func str2(vals odoo.Values, field string) string {
	s, _ := vals[field].(string)
	return s
}

// createValues returns the partner values of a create: every child as a
// nested create command, so the registrant and all its ids, phones and
// accounts are one Odoo transaction.
func (d *registrantDraft) createValues(banks map[string]Bank) odoo.Values {
	vals := odoo.Values{}
	for k, x := range d.vals {
		vals[k] = x
	}
	var ids, phones, accounts []any
	for _, id := range d.ids {
		ids = append(ids, odoo.CmdCreate(id.vals))
	}
	for _, ph := range d.phones {
		phones = append(phones, odoo.CmdCreate(ph.vals))
	}
	for _, a := range d.accounts {
		accounts = append(accounts, odoo.CmdCreate(a.values(banks)))
	}
	if len(ids) > 0 {
		vals["reg_ids"] = ids
	}
	if len(phones) > 0 {
		vals["phone_number_ids"] = phones
		vals["phone"] = d.phones[0].number
	}
	if len(accounts) > 0 {
		vals["bank_ids"] = accounts
	}
	return vals
}

func (a accountDraft) values(banks map[string]Bank) odoo.Values {
	vals := odoo.Values{"acc_number": string(a.number), "bank_id": banks[a.bank.key()].ID}
	if a.holder != "" {
		vals["acc_holder_name"] = a.holder
	}
	return vals
}

// resolveBanks resolves the bank of every account of the drafts in two
// phases: every bank is looked up first, and only when all of them are
// usable (none archived, no unknown BIC) are the missing ones created, so a
// refused request leaves no bank behind. Problems are reported per item.
func resolveBanks(ctx context.Context, r *BankResolver, drafts ...*registrantDraft) (map[string]Bank, error) {
	banks := map[string]Bank{}
	var missing []accountDraft
	var p problems
	report := func(a accountDraft, err error) error {
		e, ok := AsError(err)
		if !ok || e.Code != CodeUnknownReference {
			return err
		}
		field := "/bank_name"
		if a.bank.BIC != "" {
			field = "/bic"
		}
		p.ref("", a.pointer+field, "%s", e.Message)
		return nil
	}
	for _, d := range drafts {
		for _, a := range d.accounts {
			k := a.bank.key()
			if _, done := banks[k]; done {
				continue
			}
			bank, found, err := r.Lookup(ctx, a.bank)
			banks[k] = bank // report once per bank
			if err != nil {
				if err := report(a, err); err != nil {
					return nil, err
				}
				continue
			}
			if !found {
				missing = append(missing, a)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	for _, a := range missing {
		bank, err := r.Resolve(ctx, a.bank)
		if err != nil {
			if err := report(a, err); err != nil {
				return nil, err
			}
			continue
		}
		banks[a.bank.key()] = bank
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return banks, nil
}

func bankIDs(banks map[string]Bank) []int64 {
	ids := make([]int64, 0, len(banks))
	for _, b := range banks {
		ids = append(ids, b.ID)
	}
	return ids
}

// describeAccounts lists a draft's accounts for the write log, numbers
// masked.
func describeAccounts(d *registrantDraft) []string {
	out := make([]string, 0, len(d.accounts))
	for _, a := range d.accounts {
		out = append(out, fmt.Sprintf("%s@%s", a.number.Masked(), a.bank))
	}
	return out
}
