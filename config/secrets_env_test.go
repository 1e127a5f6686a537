package config

import (
	"strings"
	"testing"
)

// A secret is one value with two spellings (inline or *_file): the
// environment overrides the file's as a pair, whichever spelling each
// uses; both spellings in the same layer are refused.
func TestEnvironmentSecretReplacesTheFilesEitherSpelling(t *testing.T) {
	fromFile := writeFile(t, "odoo-secret", "from-secret-file\n")
	redisFile := writeFile(t, "redis-password", "redis-from-file\n")
	withSecretFile := strings.Replace(minimal, "  secret: s3cret\n", "  secret_file: /run/secrets/absent-here\n", 1)
	tests := []struct {
		name, file string
		env        map[string]string
		secret     string // odoo.secret after loading
		redis      string // redis.password after loading
		err        string
	}{
		{"env secret over file secret_file", withSecretFile,
			map[string]string{"G2P_PROXY_ODOO_SECRET": "from-env"}, "from-env", "", ""},
		{"env secret_file over file secret", minimal,
			map[string]string{"G2P_PROXY_ODOO_SECRET_FILE": fromFile}, "from-secret-file", "", ""},
		{"env secret over file secret", minimal,
			map[string]string{"G2P_PROXY_ODOO_SECRET": "from-env"}, "from-env", "", ""},
		{"env redis password over file password_file", minimal + "redis:\n  addr: 127.0.0.1:6379\n  password_file: /absent\n",
			map[string]string{"G2P_PROXY_REDIS_PASSWORD": "redis-from-env"}, "s3cret", "redis-from-env", ""},
		{"env redis password_file over file password", minimal + "redis:\n  addr: 127.0.0.1:6379\n  password: inline\n",
			map[string]string{"G2P_PROXY_REDIS_PASSWORD_FILE": redisFile}, "s3cret", "redis-from-file", ""},
		{"both spellings in the environment", minimal,
			map[string]string{"G2P_PROXY_ODOO_SECRET": "a", "G2P_PROXY_ODOO_SECRET_FILE": fromFile}, "", "",
			"G2P_PROXY_ODOO_SECRET (odoo.secret): set either secret or secret_file, not both"},
		{"an empty variable overrides nothing", withSecretFile,
			map[string]string{"G2P_PROXY_ODOO_SECRET": ""}, "", "", "invalid configuration:\n  odoo.secret_file: open /run/secrets/absent-here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(writeFile(t, "c.yaml", tt.file))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Odoo.Secret != tt.secret || cfg.Redis.Password != tt.redis {
				t.Errorf("odoo.secret %q, redis.password %q; want %q, %q", cfg.Odoo.Secret, cfg.Redis.Password, tt.secret, tt.redis)
			}
		})
	}
}
