package suggest

import "testing"

func TestClosest(t *testing.T) {
	idTypes := []string{"Birth Certificate", "National ID", "Passport", "Tax ID"}
	for _, tt := range []struct {
		in, want string
	}{
		{"Pasport", "Passport"},
		{"NationalID", "National ID"},
		{"national_id", "National ID"},
		{"PASSPROT", "Passport"}, // two letters swapped: 2 edits of 8
		{"Carte d'identité", ""}, // nothing like it
		{"Tax", ""},              // 3 edits of 6 letters: too far
		{"Brith Certificat", "Birth Certificate"},
	} {
		if got := Closest(tt.in, idTypes); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Letters, not bytes: one accented letter is one edit.
	if got := Closest("Cedula de identidad", []string{"Cédula de identidad"}); got != "Cédula de identidad" {
		t.Errorf("accented: %q", got)
	}
	if got := Closest("F", []string{"Female", "Male"}); got != "" {
		t.Errorf("a single letter suggested %q", got)
	}
}
