package convert

import (
	"encoding/json"
	"strconv"
)

// number is a JSON number inside converted parameters, kept as the literal
// the server wrote so that no digit is lost (12345678901234567890 and 0.1
// stay exactly that). It marshals as that bare literal with any encoder that
// honours json.Marshaler, openai-go's included. Schemas are decoded with
// json.Number, which openai-go's encoder writes as a quoted string, and the
// API rejects a schema whose "minimum" is "0": every number that leaves
// convert is a number instead.
type number string

// MarshalJSON writes the literal unquoted.
func (n number) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("0"), nil
	}
	return []byte(n), nil
}

// String returns the literal.
func (n number) String() string { return string(n) }

// Float64 returns the number as a float64.
func (n number) Float64() (float64, error) { return strconv.ParseFloat(string(n), 64) }

// Int64 returns the number as an int64, failing for fractions and
// numbers out of range.
func (n number) Int64() (int64, error) { return strconv.ParseInt(string(n), 10, 64) }

// numbers turns every json.Number in a decoded value into a number,
// changing maps and slices in place (they belong to the decoded schema).
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return number(x)
	case map[string]any:
		for k, e := range x {
			switch e.(type) {
			case json.Number, map[string]any, []any:
				x[k] = numbers(e)
			}
		}
	case []any:
		for i, e := range x {
			switch e.(type) {
			case json.Number, map[string]any, []any:
				x[i] = numbers(e)
			}
		}
	}
	return v
}
