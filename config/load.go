package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/viper"
)

// EnvPrefix starts every environment override: G2P_PROXY_ODOO_URL sets odoo.url.
const EnvPrefix = "G2P_PROXY"

// Load reads the YAML file at path, applies environment overrides and
// defaults, reads secret files and validates the result. Unknown keys in the
// file and unknown G2P_PROXY_* variables are an error, so a typo does not
// silently fall back to a default; a problem with a value the environment
// set names the variable.
func Load(path string) (*Config, error) {
	v := viper.New()
	setDefaults(v)
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	p := &validator{label: labelFromEnv}
	checkEnvironment(p, os.Environ())
	checkKeys(p, "", reflect.TypeFor[Config](), v.AllSettings())
	var cfg Config
	if err := v.Unmarshal(&cfg, decodeHooks); err != nil {
		addDecodeProblems(p, err)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	cfg.preferEnvironmentSecrets()
	cfg.readSecretFiles(p)
	if len(p.problems) == 0 { // a missing secret file would be reported twice
		cfg.validate(p)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// preferEnvironmentSecrets makes a secret set in the environment, in
// either spelling (inline or *_file), replace the file's, in either
// spelling: viper merges the two layers key by key, so
// G2P_PROXY_ODOO_SECRET beside a file's odoo.secret_file would otherwise
// be "both set", and an environment variable could never override a
// secret file. An empty variable sets nothing, as everywhere in viper.
func (c *Config) preferEnvironmentSecrets() {
	for _, p := range []struct {
		key          string
		inline, file *string
	}{
		{"odoo.secret", &c.Odoo.Secret, &c.Odoo.SecretFile},
		{"redis.password", &c.Redis.Password, &c.Redis.PasswordFile},
	} {
		inline, file := EnvOverride(p.key) != "", EnvOverride(p.key+"_file") != ""
		switch {
		case inline && !file:
			*p.file = ""
		case file && !inline:
			*p.inline = ""
		}
	}
}

// readSecretFiles replaces secrets by the content of their *_file key. A
// secret given both inline and as a file in the same layer (file or
// environment) is refused: which one wins would be a guess.
func (c *Config) readSecretFiles(v *validator) {
	if c.Odoo.SecretFile != "" {
		if c.Odoo.Secret != "" {
			v.add("odoo.secret", "set either secret or secret_file, not both")
		} else if s, err := readSecret(c.Odoo.SecretFile); err != nil {
			v.add("odoo.secret_file", "%v", err)
		} else {
			c.Odoo.Secret = s
		}
	}
	c.Redis.readPasswordFile(v)
	for i := range c.Auth.APIKeys {
		k := &c.Auth.APIKeys[i]
		if k.KeyFile == "" {
			continue
		}
		if k.Key != "" {
			v.add(fmt.Sprintf("auth.api_keys[%d].key", i), "set either key or key_file, not both")
		} else if s, err := readSecret(k.KeyFile); err != nil {
			v.add(fmt.Sprintf("auth.api_keys[%d].key_file", i), "%v", err)
		} else {
			k.Key = s
		}
	}
	c.Auth.readSecretHashFiles(v)
}

// readSecret returns the file's content without the trailing newline that
// editors and `echo` add (Kubernetes secrets often lack it; both work).
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// setDefaults registers every key the environment can set (all but the
// lists of sections) with its default. Viper maps an environment variable
// only onto a key it knows, so this is also what makes
// G2P_PROXY_<SECTION>_<KEY> work for every such key.
func setDefaults(v *viper.Viper) {
	for _, s := range settings("", reflect.ValueOf(*Default())) {
		if !isSectionList(s.value.Type()) {
			v.SetDefault(s.key, s.value.Interface())
		}
	}
}
