package mapping

import (
	"context"
	"slices"
	"testing"
)

// Phone numbers are compared by their digits, "+" or the international
// prefix "00" marking the country code; national spellings stay apart
// from international ones (the country code cannot be guessed).
func TestPhoneKey(t *testing.T) {
	same := [][]string{
		{"+221 77 123 45 67", "0022177 1234567", "00 221 77-123-45-67", "(+221) 771234567", "+221.77.123.45.67"},
		{"77 123 45 67", "771234567", "77-123-45-67"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if phoneKey(s) != phoneKey(group[0]) {
				t.Errorf("phoneKey(%q) = %q, phoneKey(%q) = %q; want the same phone", s, phoneKey(s), group[0], phoneKey(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{
		{"+221 77 123 45 67", "221 77 123 45 67"}, // no prefix: a national number that happens to start with 221
		{"+221 77 123 45 67", "77 123 45 67"},
		{"0771234567", "+771234567"}, // one leading 0 is a trunk prefix, not "00"
		{"+221 77 123 45 67", "+221 77 123 45 68"},
	} {
		if phoneKey(pair[0]) == phoneKey(pair[1]) {
			t.Errorf("phoneKey(%q) = phoneKey(%q) = %q; want different phones", pair[0], pair[1], phoneKey(pair[0]))
		}
	}
}

// An update does not add a phone the registrant has in another spelling
// ("00" for "+"), and keeps the stored spelling; a new phone is stored as
// sent. Two spellings of one phone in a request are a duplicate.
func TestUpdateRecognisesAPhoneInAnotherSpelling(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	createForUpdate(t, env, "3131313131", "")
	items := decode[[]UpdateIndividualRequest](t, `[{"updateId": "3131313131",
	  "phone_numbers": [{"phone_no": "0022370 000001"}, {"phone_no": "00 223 70 00 00 09"}]}]`)
	results, err := env.reg.UpdateIndividuals(ctx, "National ID", *items)
	if err == nil {
		err = BatchError(results)
	}
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for _, ph := range results[0].Individual.PhoneNumberIDs {
		stored = append(stored, *ph.PhoneNo)
	}
	slices.Sort(stored)
	if len(stored) != 2 || stored[0] != "+223 70 00 00 01" || stored[1] != "00 223 70 00 00 09" {
		t.Errorf("phones after the update %q, want the known one kept as stored and the new one as sent", stored)
	}
	dup := decode[[]UpdateIndividualRequest](t, `[{"updateId": "3131313131",
	  "phone_numbers": [{"phone_no": "+223 70 00 00 05"}, {"phone_no": "0022370000005"}]}]`)
	if _, err := env.reg.UpdateIndividuals(ctx, "National ID", *dup); errCode(err) != CodeDuplicateInRequest || !hasPointer(err, "/0/phone_numbers/1/phone_no") {
		t.Errorf("two spellings of one phone in a request: %v, want duplicate_in_request at the second", err)
	}
}
