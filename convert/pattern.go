package convert

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
)

// badPattern reports whether the regular expression p at path must be
// removed, noting why.
func (n *normalizer) badPattern(path, p string) bool {
	err := checkPattern(p)
	if err != nil {
		n.add(path, fmt.Sprintf("regular expression %q removed: %v", cutUTF8(p, 100), err))
	}
	return err != nil
}

// checkPattern reports why a "pattern" value or a "patternProperties" key
// cannot be sent, or nil when it can.
//
// JSON Schema patterns are ECMA-262 regular expressions, the dialect the
// API reads. Go has no ECMA-262 engine, so this is a documented
// approximation built on Go's regexp/syntax (RE2), the engine our own
// argument validation (internal/jsonschema) also uses:
//
//   - ECMA-only spellings with an RE2 equivalent are accepted: \uXXXX,
//     \u{X...}, \cX and [^] are translated before RE2 parses the pattern.
//   - Lookarounds ((?=, (?!, (?<=, (?<!) and backreferences (\1..\9,
//     \k<name>) are valid ECMA-262 but are removed: strict mode constrains
//     the model's output with a grammar that cannot express them, so a
//     pattern using them risks the API rejecting the request (and one
//     rejected tool fails them all), and we could not check arguments
//     against them either. Removing a pattern only loosens the schema; the
//     server still checks its own arguments.
//   - RE2-only syntax that ECMA-262 rejects is removed: inline flags
//     ((?i), (?s:...)), (?P<name>...), \A, \z, \Q...\E, \C, \pL without
//     braces, \x{...}, and repetition counts over 1000 (RE2's limit).
//   - Anything RE2 cannot parse after that is removed.
//   - So is a pattern over maxSchemaText bytes, before it is parsed: RE2's
//     parser costs more than linear time on long input, and no real
//     server's pattern comes near the limit.
func checkPattern(p string) error {
	if len(p) > maxSchemaText {
		return fmt.Errorf("longer than %d bytes", maxSchemaText)
	}
	translated, err := ecmaToRE2(p)
	if err != nil {
		return err
	}
	if _, err := syntax.Parse(translated, syntax.Perl); err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return fmt.Errorf("%s", se.Code)
		}
		return err
	}
	return nil
}

// ecmaToRE2 rewrites the ECMA-262 spellings RE2 lacks and rejects the
// constructs discussed in checkPattern.
func ecmaToRE2(p string) (string, error) {
	var b strings.Builder
	b.Grow(len(p))
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case inClass && c == ']':
			inClass = false
			b.WriteByte(c)
		case inClass && c != '\\':
			b.WriteByte(c)
		case c == '(' && strings.HasPrefix(p[i:], "(?"):
			rest := p[i+2:]
			switch {
			case strings.HasPrefix(rest, ":"):
			case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"),
				strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
				return "", errors.New("lookaround assertions are not kept (see the package documentation)")
			case strings.HasPrefix(rest, "<"):
				// named group: RE2 reads (?<name>...) too
			default:
				return "", errors.New("inline flags and (?P<...>) groups are not ECMA-262")
			}
			b.WriteString("(?")
			i++
		case c == '[' && strings.HasPrefix(p[i:], "[^]"):
			b.WriteString(`[\x{0}-\x{10FFFF}]`)
			i += 2
		case c == '[':
			inClass = true
			b.WriteByte(c)
		case c == '\\':
			if i+1 >= len(p) {
				return "", errors.New("trailing backslash")
			}
			n, repl, err := escape(p[i+1:])
			if err != nil {
				return "", err
			}
			b.WriteString(repl)
			i += n
		case c == '{':
			if err := checkRepeat(p[i+1:]); err != nil {
				return "", err
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// escape translates the escape starting after a backslash; n is how many
// bytes of rest it used.
func escape(rest string) (n int, repl string, err error) {
	c := rest[0]
	switch {
	case c >= '1' && c <= '9', c == 'k' && strings.HasPrefix(rest, "k<"):
		return 0, "", errors.New("backreferences are not kept (see the package documentation)")
	case c == 'u' && strings.HasPrefix(rest, "u{"):
		end := strings.IndexByte(rest[:min(len(rest), 10)], '}') // at most 6 hex digits
		if end < 0 || !isHex(rest[2:end]) {
			return 0, "", errors.New(`bad \u{...} escape`)
		}
		return end + 1, `\x{` + rest[2:end] + `}`, nil
	case c == 'u':
		if len(rest) < 5 || !isHex(rest[1:5]) {
			return 0, "", errors.New(`bad \u escape`)
		}
		return 5, `\x{` + rest[1:5] + `}`, nil
	case c == 'c':
		if len(rest) < 2 || !isASCIILetter(rest[1]) {
			return 0, "", errors.New(`bad \c escape`)
		}
		return 2, `\x{` + strconv.FormatInt(int64(rest[1]%32), 16) + `}`, nil
	case strings.IndexByte("AzQECZ", c) >= 0,
		c == 'x' && strings.HasPrefix(rest, "x{"),
		(c == 'p' || c == 'P') && !strings.HasPrefix(rest[1:], "{"):
		return 0, "", fmt.Errorf(`\%c is not an ECMA-262 escape`, c)
	}
	return 1, `\` + rest[:1], nil
}

// checkRepeat rejects {n}, {n,} and {n,m} counts over RE2's limit of 1000.
// It reads only the digits and the comma after the brace, so a pattern of
// many braces is still checked in linear time.
func checkRepeat(rest string) error {
	count := 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			if count = count*10 + int(c-'0'); count > 1000 {
				return errors.New("repetition count over 1000")
			}
		case c == ',' && i > 0:
			count = 0
		default:
			return nil // '}' ends the count; anything else makes the brace a literal
		}
	}
	return nil
}

func isHex(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
