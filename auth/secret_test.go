package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashSecretVerifies(t *testing.T) {
	h, err := HashSecret("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q: want an argon2id PHC string that does not contain the secret", h)
	}
	for secret, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		if ok, err := VerifySecret(h, secret); err != nil || ok != want {
			t.Errorf("VerifySecret(%q) = %v, %v; want %v", secret, ok, err, want)
		}
	}
	h2, _ := HashSecret("correct horse battery staple")
	if h2 == h {
		t.Error("two hashes of the same secret are equal: the salt is not random")
	}
	if _, err := HashSecret(""); err == nil {
		t.Error("HashSecret accepted an empty secret")
	}
}

func TestVerifySecretAcceptsBcrypt(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifySecret(string(b), "s3cret"); !ok || err != nil {
		t.Errorf("bcrypt hash: %v, %v; want true", ok, err)
	}
	if ok, _ := VerifySecret(string(b), "other"); ok {
		t.Error("bcrypt hash accepted a wrong secret")
	}
}

func TestParseSecretHashRefusesMalformedOrCostlyHashes(t *testing.T) {
	for _, h := range []string{
		"", "plain-text-secret", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=19456,t=100,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
		"$2b$04$tooshort",
	} {
		if err := ParseSecretHash(h); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("ParseSecretHash(%q) = %v, want ErrMalformedHash", h, err)
		}
	}
}
