// Package jsonschema validates tool arguments against MCP input schemas with
// github.com/santhosh-tekuri/jsonschema/v6: schemas are compiled once
// (Cache), every violation is reported with the path of its field, and the
// report is bounded. Formats are annotations, as JSON Schema 2020-12 says;
// the draft comes from $schema and defaults to 2020-12.
package jsonschema

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	lib "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// ErrInvalid is wrapped by every validation failure.
var ErrInvalid = errors.New("value does not match schema")

// MaxViolations bounds how many violations one Error lists.
const MaxViolations = 20

// Violation is one place where a value breaks its schema.
type Violation struct {
	Path   string // field path like "owner.login" or "labels[0]"; "" for the value itself
	Reason string
}

// String renders the violation as "field <path>: <reason>".
func (v Violation) String() string {
	if v.Path == "" {
		return "arguments: " + v.Reason
	}
	return "field " + v.Path + ": " + v.Reason
}

// Error lists the violations of one value, at most MaxViolations of them.
type Error struct {
	Violations []Violation
	More       int // violations found but not listed
}

// Error joins the violations.
func (e *Error) Error() string {
	parts := make([]string, 0, len(e.Violations)+1)
	for _, v := range e.Violations {
		parts = append(parts, v.String())
	}
	if e.More > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", e.More))
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes every Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Schema is a compiled schema, safe for concurrent use.
type Schema struct{ s *lib.Schema }

// NewCompiler returns a compiler that never touches the network or the
// file system (a $ref outside the document fails to compile), defaults to
// draft 2020-12, and accepts patterns Go's regexp cannot compile (ECMA-262
// lookarounds and the like) as matching everything rather than rejecting
// the whole schema.
func NewCompiler() *lib.Compiler {
	c := lib.NewCompiler()
	c.DefaultDraft(lib.Draft2020)
	c.UseLoader(noLoader{})
	c.UseRegexpEngine(lenientRegexp)
	return c
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema reference %q is outside the document; not loaded", url)
}

type anyString string

func (a anyString) String() string          { return string(a) }
func (a anyString) MatchString(string) bool { return true }

func lenientRegexp(s string) (lib.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return anyString(s), nil
	}
	return re, nil
}

// Compile compiles a raw schema. Numbers keep their literal.
func Compile(raw []byte) (*Schema, error) {
	if err := CheckBounds(raw); err != nil {
		return nil, err
	}
	doc, err := lib.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	return CompileValue(doc)
}

// CompileValue compiles a decoded schema (numbers as json.Number or
// float64).
func CompileValue(doc any) (*Schema, error) {
	c := NewCompiler()
	const loc = "mem:///schema.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("schema does not compile: %w", err)
	}
	return &Schema{s: s}, nil
}

// ValidateJSON checks a raw JSON value. The error is an *Error, or one that
// wraps ErrInvalid when value is not JSON.
func (s *Schema) ValidateJSON(value []byte) error {
	v, err := lib.UnmarshalJSON(bytes.NewReader(value))
	if err != nil {
		return &Error{Violations: []Violation{{Reason: "not valid JSON: " + err.Error()}}}
	}
	return s.Validate(v)
}

// Validate checks a decoded value (numbers as json.Number or float64).
func (s *Schema) Validate(v any) error {
	err := s.s.Validate(v)
	if err == nil {
		return nil
	}
	var verr *lib.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	list, more := Flatten(verr, MaxViolations)
	out := &Error{More: more}
	for _, l := range list {
		out.Violations = append(out.Violations, Violation{Path: fieldPath(l.Pointer), Reason: l.Reason})
	}
	return out
}

// ValidateJSON compiles schema and checks value; for repeated checks use
// a Cache. An empty schema accepts anything; a schema that does not compile
// is an error that does not wrap ErrInvalid.
func ValidateJSON(schema, value []byte) error {
	if len(bytes.TrimSpace(schema)) == 0 {
		return nil
	}
	s, err := Compile(schema)
	if err != nil {
		return err
	}
	return s.ValidateJSON(value)
}

// Leaf is one specific failure inside a library validation error.
type Leaf struct {
	Pointer string // JSON pointer of the instance location
	Reason  string
}

// Flatten lists the specific failures of a library validation error (not
// the "allOf failed" summaries above them), at most max of them, in order,
// without repeats, and how many more there were. A missing required
// property and a property that is not allowed are reported at the
// property's own path.
func Flatten(err *lib.ValidationError, max int) (list []Leaf, more int) {
	seen := map[Leaf]bool{}
	add := func(l Leaf) {
		if seen[l] {
			return
		}
		seen[l] = true
		if len(list) >= max {
			more++
			return
		}
		list = append(list, l)
	}
	var walk func(e *lib.ValidationError, depth int)
	walk = func(e *lib.ValidationError, depth int) {
		if len(e.Causes) > 0 {
			if depth < 256 {
				for _, c := range e.Causes {
					walk(c, depth+1)
				}
			}
			return
		}
		ptr := pointer(e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, name := range k.Missing {
				add(Leaf{Pointer: ptr + "/" + escape(name), Reason: "required property is missing"})
			}
			return
		case *kind.AdditionalProperties:
			for _, name := range k.Properties {
				add(Leaf{Pointer: ptr + "/" + escape(name), Reason: "property is not allowed"})
			}
			return
		}
		add(Leaf{Pointer: ptr, Reason: leafReason(e)})
	}
	walk(err, 0)
	return list, more
}

// leafReason is the library's message for one failure without its
// "at '<location>': " prefix (the location is reported separately).
func leafReason(e *lib.ValidationError) string {
	msg := e.Error()
	if strings.HasPrefix(msg, "at '") {
		if i := strings.Index(msg, "': "); i >= 0 {
			return msg[i+3:]
		}
	}
	return msg
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// fieldPath turns a JSON pointer into "a.b[0].c".
func fieldPath(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for _, seg := range strings.Split(ptr[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if isIndex(seg) {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Cache compiles each distinct schema once. Retain drops the schemas no
// longer in use, so the cache never outgrows the current tool set.
type Cache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]cached
}

type cached struct {
	s   *Schema
	err error
}

// Get returns the compiled schema for raw, compiling it on first use. A
// schema that does not compile is remembered as such.
func (c *Cache) Get(raw []byte) (*Schema, error) {
	k := sha256.Sum256(raw)
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return e.s, e.err
	}
	s, err := Compile(raw)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[[sha256.Size]byte]cached{}
	}
	c.m[k] = cached{s, err}
	c.mu.Unlock()
	return s, err
}

// Retain keeps only the schemas in keep (raw schema bytes).
func (c *Cache) Retain(keep [][]byte) {
	want := make(map[[sha256.Size]byte]bool, len(keep))
	for _, raw := range keep {
		want[sha256.Sum256(raw)] = true
	}
	c.mu.Lock()
	for k := range c.m {
		if !want[k] {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// Len reports how many schemas the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Bounds of what Compile takes. The validator library's compile time grows
// much faster than the schema's depth (a 128-deep object: 0.1 s, 256-deep:
// 0.7 s, 1,200-deep: 9 s, measured), and no context can stop it, so a
// schema past these bounds is refused before it is read. Real tool schemas
// are a few kilobytes and under 20 levels deep.
const (
	// MaxCompileDepth bounds the JSON nesting of a schema (objects and
	// arrays; each level of properties counts two).
	MaxCompileDepth = 100
	// MaxCompileBytes bounds a schema's size.
	MaxCompileBytes = 1 << 20
)

// ErrTooComplex is the cause when a schema is past the bounds of Compile.
var ErrTooComplex = errors.New("schema too large or too deeply nested to compile")

// CheckBounds reports, without compiling, whether raw is within
// MaxCompileBytes and MaxCompileDepth; it reads raw once, keeping nothing.
func CheckBounds(raw []byte) error {
	if len(raw) > MaxCompileBytes {
		return fmt.Errorf("%w: %d bytes, over the bound of %d", ErrTooComplex, len(raw), MaxCompileBytes)
	}
	depth, inString, escaped := 0, false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > MaxCompileDepth {
				return fmt.Errorf("%w: nested more than %d levels deep", ErrTooComplex, MaxCompileDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
