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
	"sort"
	"strings"
	"sync"
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

// Index is an immutable search index. It is safe for concurrent use.
type Index struct {
	ids      []string
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

// New builds an index over docs.
func New(docs []Doc) *Index {
	ix := &Index{
		ids:      make([]string, len(docs)),
		postings: map[string][]posting{},
		families: map[string][]string{},
		nameLen:  make([]uint8, len(docs)),
		n:        len(docs),
	}
	// Pass 1: terms of every field, and the average length of each field.
	type fieldTerms [numFields][]string
	all := make([]fieldTerms, len(docs))
	var avg [numFields]float64
	for i, d := range docs {
		ix.ids[i] = d.ID
		name := d.Name
		if name == "" {
			name = d.ID
		}
		lead, rest := splitLead(d.Description)
		ft := &all[i]
		ft[fName] = Terms(name)
		ft[fTitle] = Terms(d.Title)
		ft[fServer] = Terms(d.Server)
		ft[fLead] = Terms(lead)
		ft[fDesc] = Terms(rest)
		for _, p := range d.Params {
			ft[fParamName] = append(ft[fParamName], Terms(p.Name)...)
			ft[fParamDesc] = append(ft[fParamDesc], Terms(p.Description)...)
		}
		for f := range numFields {
			avg[f] += float64(len(ft[f]))
		}
	}
	for f := range numFields {
		avg[f] = max(avg[f]/float64(max(len(docs), 1)), 1)
	}
	// Pass 2: per term, the weighted sum of its length-normalized counts.
	for i := range all {
		tf := map[string]float64{}
		inName := map[string]bool{}
		for f, terms := range all[i] {
			fl := fields[f]
			norm := 1 - fl.b + fl.b*float64(len(terms))/avg[f]
			for _, t := range terms {
				tf[t] += fl.weight / norm
			}
		}
		for _, t := range all[i][fName] {
			inName[t] = true
		}
		ix.nameLen[i] = uint8(min(len(inName), 255))
		for t, f := range tf {
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(i), tf: float32(f), inName: inName[t]})
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
