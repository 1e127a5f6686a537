package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// decodeHooks turn the file's and the environment's text into typed
// values: durations with a unit, comma-separated lists.
var decodeHooks = viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(durationWithUnit, commaList))

// durationWithUnit parses a duration and refuses a bare number: YAML's
// `timeout: 30` (or G2P_PROXY_ODOO_TIMEOUT=30) would otherwise mean
// 30 nanoseconds, or be refused in the time package's words.
func durationWithUnit(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[time.Duration]() || from == to { // defaults are durations already
		return data, nil
	}
	const hint = "write a duration such as 30s, 500ms or 10m"
	s, ok := data.(string)
	if !ok {
		switch from.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			return nil, fmt.Errorf("%v has no unit; %s", data, hint)
		}
		return data, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err == nil {
		return d, nil
	}
	if _, numErr := strconv.ParseFloat(strings.TrimSpace(s), 64); numErr == nil {
		return nil, fmt.Errorf("%s has no unit; %s", s, hint)
	}
	return nil, fmt.Errorf("%q is not a duration; %s", s, hint)
}

// commaList splits a text given for a list of values (an environment
// variable: G2P_PROXY_SERVER_TRUSTED_PROXIES=10.0.0.1,10.0.0.2) at commas.
func commaList(from, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || to.Kind() != reflect.Slice || to.Elem().Kind() != reflect.String {
		return data, nil
	}
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items, nil
}

// addDecodeProblems adds one problem per value the decoder could not use,
// named by its key, in our words rather than the decoder's.
func addDecodeProblems(v *validator, err error) {
	var found []*mapstructure.DecodeError
	collectDecodeErrors(err, &found)
	if len(found) == 0 {
		v.problems = append(v.problems, err.Error())
		return
	}
	for _, e := range found {
		v.add(e.Name(), "%s", decodeProblem(e))
	}
}

// collectDecodeErrors gathers the decoder's per-key errors, which it
// returns joined and wrapped.
func collectDecodeErrors(err error, found *[]*mapstructure.DecodeError) {
	if de, ok := err.(*mapstructure.DecodeError); ok {
		*found = append(*found, de)
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			collectDecodeErrors(e, found)
		}
	case interface{ Unwrap() error }:
		collectDecodeErrors(u.Unwrap(), found)
	}
}

// decodeProblem says what the value of one key should have been.
func decodeProblem(e *mapstructure.DecodeError) string {
	var parse *mapstructure.ParseError
	var unconvertible *mapstructure.UnconvertibleTypeError
	switch {
	case errors.As(e, &parse):
		return fmt.Sprintf("must be %s, got %s", expected(parse.Expected.Type()), given(parse.Value))
	case errors.As(e, &unconvertible):
		return fmt.Sprintf("must be %s, got %s", expected(unconvertible.Expected.Type()), given(unconvertible.Value))
	}
	return e.Unwrap().Error() // the hooks' own words
}

// expected describes the values a key of type t takes.
func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t == reflect.TypeFor[time.Duration]() {
			return "a duration such as 30s"
		}
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a text"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a section of keys"
	}
	return t.String()
}

// given describes a value the decoder could not use.
func given(value any) string {
	switch value.(type) {
	case map[string]any:
		return "a section of keys"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("%q", value)
	}
	return fmt.Sprint(value)
}
