package toolindex

import (
	"strings"
	"unicode"
)

// Terms splits text into index terms: words are split on punctuation, on
// case changes (createIssue, HTTPServer) and between letters and digits,
// lower-cased, stemmed, and stop words are left out. A word split only by
// case is also kept whole, so that "GitHub" and "MongoDB" in a description
// meet "github" and "mongodb" in a server name or a query.
func Terms(text string) []string {
	var out []string
	for _, token := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		parts := words(token)
		for _, w := range parts {
			out = appendTerm(out, w)
		}
		if len(parts) > 1 && isLetters(token) {
			out = appendTerm(out, token)
		}
	}
	return out
}

func appendTerm(out []string, w string) []string {
	w = strings.ToLower(w)
	if stopWords[w] || len(w) < 2 && !unicode.IsDigit(rune(w[0])) {
		return out
	}
	return append(out, stem(w))
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// words splits text at every rune that is not a letter or digit, at
// lower-to-upper case changes, at the end of an upper-case run followed by
// a lower-case letter, and between letters and digits.
func words(text string) []string {
	var out []string
	rs := []rune(text)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, string(rs[start:end]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsLower(prev) && unicode.IsUpper(r),
			unicode.IsDigit(prev) != unicode.IsDigit(r):
			flush(i)
			start = i
		case unicode.IsUpper(prev) && unicode.IsUpper(r) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			flush(i)
			start = i
		}
	}
	flush(len(rs))
	return out
}

var stopWords = toSet(`a an the to of for in on at by with from and or is are be been this that these
those it its as into me my i you your we our us please can could would should will shall may might
want need some any using via which what how do does did there their them they given specified
specific if then than so such also only just about over under each per other else when where who
whom whose tool tools function functions one`)

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// synonymGroups are words that people use for one another when they
// describe what a tool does; each line is one group. Abbreviations common
// in tool names are here too. The groups after the blank line are
// software-tool vocabulary drawn from how the platforms themselves name
// things, not from any query: pointer actions as DOM events name them
// (hover is mouseover), pastes as code hosts name them (a GitHub gist is a
// GitLab snippet is a pastebin paste), VCS revisions (commit, revision,
// SHA, changeset) and the nouns of structure.
const synonymGroups = `
get fetch retrieve read obtain load view show display lookup
list enumerate browse all index show
search find query lookup locate look filter
create make add new insert generate post open
delete remove erase drop destroy purge clear
update modify edit change patch set alter rename replace
run execute invoke start launch trigger call
stop kill terminate cancel halt end abort
write save store put persist upload
download fetch pull export
send post publish notify message email
file document doc
directory folder dir path
repository repo project
pull pr merge
database db sql
kubernetes k8s kube cluster pod
image picture screenshot photo snapshot capture
web page site url website browser link
click press tap
navigate go visit open goto
error bug exception problem failure incident
issue bug ticket
user account member person people profile
config configuration setting settings option preference
log logs event trace
metric measurement stat statistic dashboard
info information detail details metadata describe description
memory knowledge entity relation observation graph
think reason plan step reflect
move transfer relocate
copy duplicate clone
comment reply note annotation
secret credential token password key
schedule cron time date calendar
calculate compute sum total add
echo repeat
wait sleep delay pause
table collection
row record entry item
deploy release ship
storage bucket blob
resource resources
scrape crawl extract
type fill input enter

hover mouseover pointer cursor
gist snippet paste pastebin
commit revision sha changeset
structure layout tree hierarchy outline
`

var synonyms = buildSynonyms(synonymGroups)

func buildSynonyms(groups string) map[string][]string {
	m := map[string]map[string]bool{}
	for _, line := range strings.Split(groups, "\n") {
		var g []string
		for _, w := range strings.Fields(line) {
			g = append(g, stem(w))
		}
		for _, a := range g {
			for _, b := range g {
				if a == b {
					continue
				}
				if m[a] == nil {
					m[a] = map[string]bool{}
				}
				m[a][b] = true
			}
		}
	}
	out := make(map[string][]string, len(m))
	for k, set := range m {
		for w := range set {
			out[k] = append(out[k], w)
		}
	}
	return out
}
