package mapping

import (
	"strings"
	"testing"
)

func TestValidateIBAN(t *testing.T) {
	tests := []struct {
		name, iban string
		wantErr    string // substring of the error; "" = valid
	}{
		{"DE compact", "DE89370400440532013000", ""},
		{"DE printed with spaces", "DE89 3704 0044 0532 0130 00", ""},
		{"DE lower case with dashes", "de89-3704-0044-0532-0130-00", ""},
		{"GB", "GB29 NWBK 6016 1331 9268 19", ""},
		{"FR with a letter in the BBAN", "FR14 2004 1010 0505 0001 3M02 606", ""},
		{"NL", "NL91ABNA0417164300", ""},
		{"BE, 16 characters", "BE68539007547034", ""},
		{"NO, the shortest", "NO9386011117947", ""},
		{"MT, 31 characters", "MT84MALT011000012345MTLCAST001S", ""},
		{"SN outside the SWIFT registry", "SN31 SN01 0015 2000 0012 3456 7890", ""},
		{"demo seed SN number: bad check digits", "SN08 SN01 0152 0000 0012 3456 7890", "check digits 08"},
		{"one digit changed", "DE89370400440532013001", "check digits 89"},
		{"two digits swapped", "DE89370400440523013000", "check digits"},
		{"wrong check digits", "GB82 WEST 1234 5698 7654 31", "check digits 82"},
		{"too short for DE", "DE8937040044053201300", "DE has 22 characters, this one has 21"},
		{"too long for BE", "BE685390075470341", "BE has 16 characters, this one has 17"},
		{"SN too short (seed data)", "SN12 0001 2345", "SN has 28 characters, this one has 12"},
		{"not an IBAN country", "KE12 3456 7890 1234", "KE is not a country that issues IBANs"},
		{"not IBAN shaped", "0170 2938 4410 5", "is not an IBAN"},
		{"letters where check digits go", "DEAB370400440532013000", "is not an IBAN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateIBAN(tt.iban)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateIBAN(%q) = %v, want valid", tt.iban, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("ValidateIBAN(%q) = nil, want an error about %q", tt.iban, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("ValidateIBAN(%q) = %q, want it to say %q", tt.iban, err, tt.wantErr)
			}
		})
	}
}

func TestLooksLikeIBAN(t *testing.T) {
	tests := map[string]bool{
		"DE89 3704 0044 0532 0130 00": true,
		"de89370400440532013000":      true,
		"KE12 3456 7890 1234":         true,
		"NO93 8601 1117 947":          true,  // the shortest, 15
		"SN12 0001 2345":              false, // 12: shorter than any IBAN
		"SN-001":                      false,
		"KE12 3456":                   false,
		"0170 2938 4410 5":            false,
		"CRT-000123":                  false, // three letters
		"+254 712-345-678":            false, // mobile-money wallet
		"J05QPYL-A1":                  false,
		"D189":                        false,
		"DE89":                        false, // nothing after the check digits
	}
	for in, want := range tests {
		if got := LooksLikeIBAN(in); got != want {
			t.Errorf("LooksLikeIBAN(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidateBIC(t *testing.T) {
	tests := []struct {
		bic     string
		wantErr string
	}{
		{"COBADEFF", ""},
		{"COBADEFFXXX", ""},
		{"cobadeffxxx", ""},
		{"BHSN SN DA", ""},
		{"DEUTDE2H", ""}, // location may be a digit
		{"COBADEFF12", "8 or 11 characters, not 10"},
		{"COBADEF", "8 or 11 characters, not 7"},
		{"37040044", "4 letters (bank)"},        // a German bank code, not a BIC (transcripts/09)
		{"COB1DEFFXXX", "4 letters (bank)"},     // digit in the bank code
		{"COBAD3FFXXX", "2 letters (country)"},  // digit in the country
		{"COBADEF-XXX", "2 letters or digits"},  // punctuation in the location
		{"COBADEFFXX!", "optionally 3 letters"}, // punctuation in the branch
	}
	for _, tt := range tests {
		err := ValidateBIC(tt.bic)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidateBIC(%q) = %v, want valid", tt.bic, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ValidateBIC(%q) = %v, want an error saying %q", tt.bic, err, tt.wantErr)
		}
	}
	if got := BICCountry("cobadeffxxx"); got != "DE" {
		t.Errorf("BICCountry = %q, want DE", got)
	}
	if got := BICCountry("37040044"); got != "" {
		t.Errorf("BICCountry of a non-BIC = %q, want empty", got)
	}
}

func TestIBANRequiredAtBanksOfSEPACountries(t *testing.T) {
	tests := []struct {
		number, bic string
		refused     bool
	}{
		{"532013000", "COBADEFFXXX", true},                    // DE bank, domestic number
		{"DE89 3704 0044 0532 0130 00", "COBADEFFXXX", false}, // DE bank, IBAN
		{"+49 151 2345 6789", "COBADEFFXXX", false},           // a wallet: phone number
		{"0170 2938 4410 5", "EQBLKENA", false},               // KE has no IBAN
		{"0012345678", "BHSNSNDA", false},                     // SN is outside the SWIFT registry
		{"40817810099910004312", "SABRRUMM", false},           // RU issues IBANs but pays by domestic number
		{"0123456789", "BBDEBRSP", false},                     // so does BR
		{"12345678", "NWBKGB2L", true},                        // GB is SEPA: IBAN only
		{"0012345678", "", false},                             // bank without BIC: country unknown
		{"0012345678", "37040044", false},                     // not a BIC: country unknown
	}
	for _, tt := range tests {
		msg := ibanRequiredAt(AccountNumber(tt.number), tt.bic)
		if (msg != "") != tt.refused {
			t.Errorf("ibanRequiredAt(%q, %q) = %q, want refused=%v", tt.number, tt.bic, msg, tt.refused)
		}
	}
}
