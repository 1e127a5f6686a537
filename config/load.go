package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// EnvPrefix starts every environment override: G2P_PROXY_ODOO_URL sets odoo.url.
const EnvPrefix = "G2P_PROXY"

// Load reads the YAML file at path, applies environment overrides and
// defaults, reads secret files and validates the result. Unknown keys in the
// file are an error, so a typo does not silently fall back to a default.
func Load(path string) (*Config, error) {
	v := viper.New()
	setDefaults(v, "", reflect.ValueOf(*Default()))
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		durationNeedsUnit, mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","),
	))); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.preferEnvironmentSecrets()
	if err := cfg.readSecretFiles(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
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
		inline, file := envSet(p.key), envSet(p.key+"_file")
		switch {
		case inline && !file:
			*p.file = ""
		case file && !inline:
			*p.inline = ""
		}
	}
}

// envSet reports whether the environment variable of key (odoo.secret:
// G2P_PROXY_ODOO_SECRET) is set and not empty.
func envSet(key string) bool {
	return os.Getenv(EnvPrefix+"_"+strings.ToUpper(strings.ReplaceAll(key, ".", "_"))) != ""
}

// readSecretFiles replaces secrets by the content of their *_file key. A
// secret given both inline and as a file in the same layer (file or
// environment) is refused: which one wins would be a guess.
func (c *Config) readSecretFiles() error {
	var errs []error
	if c.Odoo.SecretFile != "" {
		if c.Odoo.Secret != "" {
			errs = append(errs, errors.New("odoo.secret: set either secret or secret_file, not both"))
		} else if s, err := readSecret(c.Odoo.SecretFile); err != nil {
			errs = append(errs, fmt.Errorf("odoo.secret_file: %w", err))
		} else {
			c.Odoo.Secret = s
		}
	}
	if err := c.Redis.readPasswordFile(); err != nil {
		errs = append(errs, err)
	}
	for i := range c.Auth.APIKeys {
		k := &c.Auth.APIKeys[i]
		if k.KeyFile == "" {
			continue
		}
		if k.Key != "" {
			errs = append(errs, fmt.Errorf("auth.api_keys[%d].key: set either key or key_file, not both", i))
		} else if s, err := readSecret(k.KeyFile); err != nil {
			errs = append(errs, fmt.Errorf("auth.api_keys[%d].key_file: %w", i, err))
		} else {
			k.Key = s
		}
	}
	errs = append(errs, c.Auth.readSecretHashFiles()...)
	return errors.Join(errs...)
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

// setDefaults registers every scalar key of the struct value with its
// default. Viper maps an environment variable only onto a key it knows, so
// this is also what makes G2P_PROXY_<SECTION>_<KEY> work for every key.
// Lists (auth.api_keys) come from the file only.
func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := range t.NumField() {
		key := prefix + t.Field(i).Tag.Get("mapstructure")
		f := val.Field(i)
		switch {
		case f.Kind() == reflect.Struct:
			setDefaults(v, key+".", f)
		case f.Kind() != reflect.Slice:
			v.SetDefault(key, f.Interface())
		}
	}
}

// durationNeedsUnit refuses a bare number for a duration: YAML's
// `timeout: 30` would otherwise mean 30 nanoseconds.
func durationNeedsUnit(from, to reflect.Type, data any) (any, error) {
	durationType := reflect.TypeFor[time.Duration]()
	if to != durationType || from == durationType { // defaults are durations already
		return data, nil
	}
	switch from.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return nil, fmt.Errorf("%v has no unit; write a duration such as 30s or 500ms", data)
	}
	return data, nil
}
