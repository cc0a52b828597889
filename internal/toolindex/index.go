// Package toolindex is a small in-memory ranked index over tool
// descriptions, for the client-side tool search of large tool sets: the model
// asks for tools in its own words and gets the best matches back, with no
// network and no model involved.
//
// Ranking is BM25F: each field of a tool (name, title, server, the first
// sentence of the description, the rest of it, parameter names, parameter
// descriptions) is length-normalized on its own and weighted, so a long
// usage manual in a description neither drowns nor inflates the tool's
// name. Terms are split on case and punctuation, lower-cased and lightly
// stemmed. Each query word is one concept: it matches itself, its common
// synonyms, words of the same family ("visualize", "visualization") and,
// for words the index does not know, longer terms they are a prefix of
// ("kube" finds "kubernetes"); a concept counts once per tool, by its best
// match, so a tool is not rewarded for repeating five synonyms of one word.
// Tools whose name the query covers get a bonus.
package toolindex

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
)

// Doc is one searchable tool.
type Doc struct {
	ID          string // what a hit returns: the function name the model calls
	Server      string
	Name        string // the tool's own name
	Title       string
	Description string
	Params      []Param
}

// Param is one parameter of a tool.
type Param struct {
	Name        string
	Description string
}

// Hit is one search result.
type Hit struct {
	ID    string
	Doc   int // position of the document in the slice given to New
	Score float64
}

// field is one weighted part of a document. b is how much the field's
// length is normalized (BM25F): names are short and alike, so barely;
// descriptions vary from a phrase to a manual, so fully.
type field struct {
	weight, b float64
}

const (
	fName = iota
	fTitle
	fServer
	fLead // first sentence of the description: what the tool does
	fDesc // the rest of the description: how to use it
	fParamName
	fParamDesc
	numFields
)

var fields = [numFields]field{
	fName:      {weight: 3.0, b: 0.3},
	fTitle:     {weight: 2.0, b: 0.3},
	fServer:    {weight: 1.5, b: 0},
	fLead:      {weight: 1.5, b: 0.5},
	fDesc:      {weight: 0.7, b: 0.75},
	fParamName: {weight: 0.7, b: 0.5},
	fParamDesc: {weight: 0.4, b: 0.75},
}

const bm25K1 = 1.2

// Bounds on the text indexed per tool. Real tools stay well inside them
// (the longest description of the corpus in rigs/corpus is 6.5 KB, the
// longest parameter description 5 KB); a server that sends megabytes gets
// the start of each field indexed, so building the index costs memory and
// time in proportion to the number of tools, whatever they hold.
const (
	maxNameBytes        = 256     // name, title, server
	maxDescriptionBytes = 8 << 10 // description
	maxParamNameBytes   = 128     // one parameter name
	maxParamDescBytes   = 4 << 10 // one parameter description
	maxParamTextBytes   = 8 << 10 // the parameter descriptions of one tool together
)

// Index is an immutable search index. It is safe for concurrent use.
type Index struct {
	ids      []string
	servers  []int32 // server of each document, an index into serverNames
	nServers int
	postings map[string][]posting
	terms    []string            // sorted keys of postings, for prefix matches
	families map[string][]string // word family root -> index terms
	nameLen  []uint8             // distinct terms in each tool's name
	n        int
	scratch  sync.Pool // of *scratch
}

type posting struct {
	doc    int32
	tf     float32 // BM25F pseudo term frequency over all fields
	inName bool
}

// Analyzed is one document split into terms, field by field, within the
// bounds above: the costly part of indexing. It depends on the document
// alone, so a caller that rebuilds the index after some tools changed
// (Build) analyzes only those again.
type Analyzed struct {
	fields  [numFields][]termCount // each sorted by term
	lens    [numFields]int32       // terms in each field, repeats counted
	nameLen uint8                  // distinct terms in the name
	server  string
}

type termCount struct {
	term string
	n    int32
}

// Analyze splits d into the terms of each field, within the bounds on
// indexed text.
func Analyze(d Doc) *Analyzed {
	a := &Analyzed{server: d.Server}
	name := d.Name
	if name == "" {
		name = d.ID
	}
	lead, rest := splitLead(textsafe.Cut(d.Description, maxDescriptionBytes))
	var ft [numFields][]string
	ft[fName] = Terms(textsafe.Cut(name, maxNameBytes))
	ft[fTitle] = Terms(textsafe.Cut(d.Title, maxNameBytes))
	ft[fServer] = Terms(textsafe.Cut(d.Server, maxNameBytes))
	ft[fLead] = Terms(lead)
	ft[fDesc] = Terms(rest)
	budget := maxParamTextBytes
	for _, p := range d.Params {
		ft[fParamName] = append(ft[fParamName], Terms(textsafe.Cut(p.Name, maxParamNameBytes))...)
		if budget > 0 {
			desc := textsafe.Cut(p.Description, min(maxParamDescBytes, budget))
			budget -= len(desc)
			ft[fParamDesc] = append(ft[fParamDesc], Terms(desc)...)
		}
	}
	for f, terms := range ft {
		a.lens[f] = int32(len(terms))
		a.fields[f] = countTerms(terms)
	}
	a.nameLen = uint8(min(len(a.fields[fName]), 255))
	return a
}

// countTerms turns a list of terms into sorted (term, count) pairs.
func countTerms(terms []string) []termCount {
	if len(terms) == 0 {
		return nil
	}
	sorted := slices.Clone(terms)
	slices.Sort(sorted)
	out := make([]termCount, 0, len(sorted))
	for _, t := range sorted {
		if n := len(out); n > 0 && out[n-1].term == t {
			out[n-1].n++
			continue
		}
		out = append(out, termCount{t, 1})
	}
	return slices.Clip(out)
}

// Entry is one document of Build: the ID a hit returns and its analysis.
type Entry struct {
	ID string
	*Analyzed
}

// New builds an index over docs.
func New(docs []Doc) *Index {
	entries := make([]Entry, len(docs))
	for i, d := range docs {
		entries[i] = Entry{ID: d.ID, Analyzed: Analyze(d)}
	}
	return Build(entries)
}

// Build builds an index over analyzed documents. Only the weighting, which
// depends on every document (field lengths, term rarity), is done here.
func Build(entries []Entry) *Index {
	ix := &Index{
		ids:      make([]string, len(entries)),
		servers:  make([]int32, len(entries)),
		postings: map[string][]posting{},
		families: map[string][]string{},
		nameLen:  make([]uint8, len(entries)),
		n:        len(entries),
	}
	serverIDs := map[string]int32{}
	var avg [numFields]float64
	for i, e := range entries {
		ix.ids[i] = e.ID
		id, ok := serverIDs[e.server]
		if !ok {
			id = int32(len(serverIDs))
			serverIDs[e.server] = id
		}
		ix.servers[i] = id
		for f := range numFields {
			avg[f] += float64(e.lens[f])
		}
	}
	ix.nServers = len(serverIDs)
	for f := range numFields {
		avg[f] = max(avg[f]/float64(max(len(entries), 1)), 1)
	}
	// Per term, the weighted sum of its length-normalized counts.
	tf := map[string]float64{}
	for i, e := range entries {
		clear(tf)
		for f, terms := range e.fields {
			fl := fields[f]
			norm := 1 - fl.b + fl.b*float64(e.lens[f])/avg[f]
			for _, t := range terms {
				tf[t.term] += fl.weight * float64(t.n) / norm
			}
		}
		ix.nameLen[i] = e.nameLen
		for t, f := range tf {
			_, inName := slices.BinarySearchFunc(e.fields[fName], t, func(tc termCount, t string) int { return strings.Compare(tc.term, t) })
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(i), tf: float32(f), inName: inName})
		}
	}
	ix.terms = make([]string, 0, len(ix.postings))
	for t := range ix.postings {
		ix.terms = append(ix.terms, t)
	}
	sort.Strings(ix.terms)
	for _, t := range ix.terms {
		if r := family(t); r != "" {
			ix.families[r] = append(ix.families[r], t)
		}
	}
	ix.scratch.New = func() any { return newScratch(ix.n) }
	return ix
}

// splitLead splits a description into its first sentence and the rest. The
// first sentence is almost always the summary of what the tool does; what
// follows is usage notes, caveats and examples.
func splitLead(desc string) (lead, rest string) {
	desc = strings.TrimSpace(desc)
	for i := 0; i < len(desc); i++ {
		switch desc[i] {
		case '.', '!', '?':
			if i+1 == len(desc) || desc[i+1] == ' ' || desc[i+1] == '\n' {
				return desc[:i+1], desc[i+1:]
			}
		case '\n':
			if i+1 < len(desc) && desc[i+1] == '\n' {
				return desc[:i], desc[i:]
			}
		}
	}
	return desc, ""
}

// Len returns the number of documents.
func (ix *Index) Len() int { return ix.n }
