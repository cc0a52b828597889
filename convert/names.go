package convert

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// MaxNameLength is the longest function name the Responses API accepts.
const MaxNameLength = 64

// hashSuffixLen is the length of the "_xxxxxxxx" suffix added to shortened or
// colliding names.
const hashSuffixLen = 9

// toolID identifies a tool by its exact server and tool names.
type toolID struct{ server, tool string }

// SanitizeName makes s a valid function name: every character outside
// [a-zA-Z0-9_-] becomes '_', an empty result becomes "tool", and a result
// longer than 64 bytes is cut and given a hash suffix of s. It does not make
// names unique; Convert does that.
func SanitizeName(s string) string {
	name, _ := sanitize(s, s)
	return name
}

// sanitize repairs s; key feeds the hash when the name must be shortened.
// exact reports whether s was already a valid name.
func sanitize(s, key string) (name string, exact bool) {
	exact = s != "" && len(s) <= MaxNameLength
	var b []byte
	for i := 0; i < len(s); i++ {
		if !validNameByte(s[i]) {
			exact = false
			break
		}
	}
	if exact {
		return s, true
	}
	b = make([]byte, 0, min(len(s), 2*MaxNameLength))
	for _, r := range s {
		if r < 0x80 && validNameByte(byte(r)) {
			b = append(b, byte(r))
		} else {
			b = append(b, '_')
		}
		if len(b) > 4*MaxNameLength {
			break // enough to shorten from; the hash covers the rest
		}
	}
	if len(b) == 0 {
		b = append(b, "tool"...)
	}
	if len(b) > MaxNameLength {
		b = append(b[:MaxNameLength-hashSuffixLen], suffix(key, 0)...)
	}
	return string(b), false
}

func validNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// suffix returns "_" plus 8 hex digits of a hash of key and attempt.
func suffix(key string, attempt int) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	if attempt > 0 {
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(attempt)))
	}
	v := h.Sum64()
	v ^= v >> 32
	s := strconv.FormatUint(v&0xffffffff, 16)
	return "_" + strings.Repeat("0", 8-len(s)) + s
}

// withSuffix cuts base so that base plus a suffix fits in 64 bytes.
func withSuffix(base, key string, attempt int) string {
	if len(base) > MaxNameLength-hashSuffixLen {
		base = base[:MaxNameLength-hashSuffixLen]
	}
	return base + suffix(key, attempt)
}

// candidate builds the wanted (not yet unique) name of a tool.
func candidate(id toolID, opts Options) string {
	var raw string
	if opts.NameFunc != nil {
		raw = opts.NameFunc(id.server, id.tool)
	}
	if raw == "" {
		if opts.NoPrefix {
			raw = id.tool
		} else {
			sep := opts.Separator
			if sep == "" {
				sep = DefaultSeparator
			}
			raw = id.server + sep + id.tool
		}
	}
	return raw
}

// assignNames gives every tool a unique valid name. ids must be distinct.
// The result depends only on ids (in order) and opts.
func assignNames(ids []toolID, opts Options) []string {
	names := make([]string, len(ids))
	exact := make([]bool, len(ids))
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = id.server + "\x00" + id.tool
		names[i], exact[i] = sanitize(candidate(id, opts), keys[i])
	}
	// Claims: names that need no repair first, then the rest, each group in
	// input order. A claimed name is never taken away by a later step.
	taken := make(map[string]struct{}, len(ids))
	lost := make([]int, 0)
	for pass := 0; pass < 2; pass++ {
		for i := range ids {
			if exact[i] != (pass == 0) {
				continue
			}
			if _, dup := taken[names[i]]; dup {
				lost = append(lost, i)
				continue
			}
			taken[names[i]] = struct{}{}
		}
	}
	// Losers get a suffix hashed from their own identity, so the name does
	// not depend on who else collided.
	for _, i := range lost {
		for attempt := 0; ; attempt++ {
			n := withSuffix(names[i], keys[i], attempt)
			if _, dup := taken[n]; !dup {
				names[i] = n
				taken[n] = struct{}{}
				break
			}
		}
	}
	return names
}
