package config

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/internal/suggest"
)

// This file knows the configuration's keys: which ones a file may hold and
// which G2P_PROXY_* variables exist, so that a typo in either is refused
// with the key that was probably meant instead of falling back to a default.

// integrationTestEnv starts the variables of the integration tests against
// a real OpenSPP (G2P_PROXY_IT_ODOO_URL, ...): they share the prefix but
// are no configuration.
const integrationTestEnv = EnvPrefix + "_IT_"

// setting is one key of the configuration (odoo.secret_file) and its value
// in a Config.
type setting struct {
	key   string
	value reflect.Value
}

// settings lists every key below val: scalars, lists of values
// (server.trusted_proxies) and lists of sections (auth.api_keys), but not
// the sections themselves.
func settings(prefix string, val reflect.Value) []setting {
	var out []setting
	t := val.Type()
	for i := range t.NumField() {
		key := prefix + t.Field(i).Tag.Get("mapstructure")
		if f := val.Field(i); f.Kind() == reflect.Struct {
			out = append(out, settings(key+".", f)...)
		} else {
			out = append(out, setting{key, f})
		}
	}
	return out
}

// isSectionList reports whether a key holds a list of sections
// (auth.api_keys): those come from the file only, as no single variable
// could spell them.
func isSectionList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

// envName is the variable that overrides key: odoo.secret_file is
// G2P_PROXY_ODOO_SECRET_FILE.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// EnvOverride returns the variable that sets key (odoo.secret:
// G2P_PROXY_ODOO_SECRET) when it is set and not empty, else "". An item of
// a list (server.trusted_proxies[1]) is set by the list's variable.
func EnvOverride(key string) string {
	if i := strings.IndexByte(key, '['); i >= 0 && !strings.Contains(key[i:], ".") {
		key = key[:i]
	}
	if name := envName(key); os.Getenv(name) != "" {
		return name
	}
	return ""
}

// labelFromEnv names a key in a problem of a loaded configuration: with
// the variable that set it, if one did, since the file is not to blame then.
func labelFromEnv(key string) string {
	if name := EnvOverride(key); name != "" {
		return name + " (" + key + ")"
	}
	return key
}

// checkEnvironment refuses every G2P_PROXY_* variable that names no key
// the environment can set: a misspelt variable would otherwise be ignored
// and the file's value used without a word. environ is os.Environ(); it
// is sorted in place, so that the problems come in a stable order.
func checkEnvironment(v *validator, environ []string) {
	known := map[string]string{} // variable -> key
	var sectionLists []string
	for _, s := range settings("", reflect.ValueOf(Config{})) {
		if isSectionList(s.value.Type()) {
			sectionLists = append(sectionLists, s.key)
		} else {
			known[envName(s.key)] = s.key
		}
	}
	names := slices.Sorted(maps.Keys(known))
	slices.Sort(environ)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if !strings.HasPrefix(upper, EnvPrefix+"_") || strings.HasPrefix(name, integrationTestEnv) {
			continue
		}
		if _, ok := known[name]; ok {
			continue
		}
		if key := sectionListOf(upper, sectionLists); key != "" {
			v.problems = append(v.problems, fmt.Sprintf("%s: %s is a list of sections and can only be set in the configuration file", name, key))
			continue
		}
		msg := name + ": no such setting"
		if best := suggest.Closest(upper, names); best != "" {
			msg += fmt.Sprintf(" (did you mean %s, for %s?)", best, known[best])
		} else {
			msg += fmt.Sprintf(" (variables are %s_<SECTION>_<KEY>, e.g. %s for odoo.url)", EnvPrefix, envName("odoo.url"))
		}
		v.problems = append(v.problems, msg)
	}
}

// sectionListOf returns the list of sections a variable tries to set
// (G2P_PROXY_AUTH_API_KEYS_0_KEY: auth.api_keys), or "".
func sectionListOf(name string, lists []string) string {
	for _, key := range lists {
		if n := envName(key); name == n || strings.HasPrefix(name, n+"_") {
			return key
		}
	}
	return ""
}

// checkKeys refuses every key of the file that the configuration does not
// have, naming the one probably meant. t is the struct type of the section
// m (the file's settings at prefix); lists of sections are checked item by
// item. Values of the wrong shape are left to the decoder, which names them.
func checkKeys(v *validator, prefix string, t reflect.Type, m map[string]any) {
	var names []string
	for i := range t.NumField() {
		names = append(names, t.Field(i).Tag.Get("mapstructure"))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		i := slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, k) })
		if i < 0 {
			v.problems = append(v.problems, unknownKey(prefix, k, names))
			continue
		}
		key, ft := prefix+names[i], t.Field(i).Type
		switch value := m[k].(type) {
		case map[string]any:
			if ft.Kind() == reflect.Struct {
				checkKeys(v, key+".", ft, value)
			}
		case []any:
			if isSectionList(ft) {
				for j, item := range value {
					if section, ok := item.(map[string]any); ok {
						checkKeys(v, fmt.Sprintf("%s[%d].", key, j), ft.Elem(), section)
					}
				}
			}
		}
	}
}

// unknownKey is the problem of the key k at prefix, which is none of names.
func unknownKey(prefix, k string, names []string) string {
	if prefix == "" {
		msg := fmt.Sprintf("unknown section %q", k)
		if best := suggest.Closest(k, names); best != "" {
			return msg + fmt.Sprintf(" (did you mean %q?)", best)
		}
		return msg + " (the sections are " + strings.Join(names, ", ") + ")"
	}
	msg := fmt.Sprintf("unknown key %q", prefix+k)
	if best := suggest.Closest(k, names); best != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", prefix+best)
	}
	section := strings.TrimSuffix(prefix, ".")
	if i := strings.LastIndexByte(section, '['); i >= 0 && strings.HasSuffix(section, "]") {
		section = section[:i] // an item of auth.api_keys has the keys of auth.api_keys
	}
	return msg + " (deploy/config.example.yaml lists every key of " + section + ")"
}
