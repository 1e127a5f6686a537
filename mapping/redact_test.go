package mapping

import "testing"

func TestRedactNumbersMasksNumberLikeRunsOnly(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"new row violates check constraint for acc_number 0048123456789013", "new row violates check constraint for acc_number ****9013"},
		{"account 0048 1234 5678 9013 exists", "account ****9013 exists"},
		{"IBAN SN08 SN01 0015 2000 0000 2635 2 is invalid", "IBAN ****6352 is invalid"},
		{"wallet +221 77 123 45 67.", "wallet ****4567."},
		{"res.partner(12,) line 4567 in 2026", "res.partner(12,) line 4567 in 2026"},
		{"no digits at all", "no digits at all"},
	} {
		if got := RedactNumbers(c.in); got != c.want {
			t.Errorf("RedactNumbers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOdooMessagesShownToClientsHaveNumbersMasked(t *testing.T) {
	got := cleanOdooMessage("The operation cannot be completed: account 0048123456789013 is blocked\nTraceback ...")
	if got != "account ****9013 is blocked" {
		t.Errorf("cleanOdooMessage = %q", got)
	}
}
