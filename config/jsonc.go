package config

import "bytes"

// stripJSONC turns JSON with comments and trailing commas (what VS Code and
// Cursor accept in mcp.json) into plain JSON. Comments become spaces and
// newlines stay, so decoder offsets still point at the right line. A UTF-8
// byte order mark is dropped.
func stripJSONC(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !bytes.Contains(data, []byte("/")) && !bytes.Contains(data, []byte(",")) {
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	blank := func(i int) {
		if out[i] != '\n' && out[i] != '\r' {
			out[i] = ' '
		}
	}
	// Comments first: a comma before a comment is still a trailing comma.
	outsideStrings(out, func(i int) int {
		switch {
		case out[i] == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				blank(i)
			}
			return i
		case out[i] == '/' && i+1 < len(out) && out[i+1] == '*':
			stop := len(out)
			if end := bytes.Index(out[i+2:], []byte("*/")); end >= 0 {
				stop = i + 2 + end + 2
			}
			for ; i < stop; i++ {
				blank(i)
			}
			return stop
		}
		return i + 1
	})
	// Trailing commas: a comma followed only by blanks and a closing bracket.
	outsideStrings(out, func(i int) int {
		if out[i] == ',' {
			j := i + 1
			for j < len(out) && (out[j] == ' ' || out[j] == '\t' || out[j] == '\n' || out[j] == '\r') {
				j++
			}
			if j < len(out) && (out[j] == '}' || out[j] == ']') {
				out[i] = ' '
			}
		}
		return i + 1
	})
	return out
}

// outsideStrings calls visit for every byte of data that is not inside a
// JSON string literal; visit returns the index to go on from.
func outsideStrings(data []byte, visit func(i int) int) {
	for i := 0; i < len(data); {
		if data[i] != '"' {
			i = visit(i)
			continue
		}
		for i++; i < len(data) && data[i] != '"'; i++ {
			if data[i] == '\\' {
				i++
			}
		}
		i++ // the closing quote
	}
}
