// Package toolindex is a small in-memory ranked index over tool
// descriptions, for the client-side tool search of large tool sets: the model
// asks for tools in its own words and gets the best matches back, with no
// network and no model involved.
//
// Ranking is BM25 over weighted fields (tool name, title, server, parameter
// names, description, parameter descriptions). Terms are split on case and
// punctuation, lower-cased and lightly stemmed; query terms also match their
// common synonyms and abbreviations and, at a lower weight, longer index
// terms they are a prefix of ("kube" finds "kubernetes").
package toolindex

import (
	"math"
	"slices"
	"sort"
	"strings"
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

// Field weights: a word in a tool's name says more about what the tool does
// than the same word deep in a parameter's description.
const (
	weightName      = 3.0
	weightTitle     = 2.0
	weightServer    = 1.5
	weightParamName = 1.0
	weightDesc      = 1.0
	weightParamDesc = 0.5

	synonymWeight = 0.6 // a query term's synonym counts less than the term
	prefixWeight  = 0.4 // so does an index term the query term is a prefix of
	minPrefixLen  = 3

	bm25K1 = 1.2
	bm25B  = 0.5 // descriptions vary a lot in length; normalize only half
)

// Index is an immutable search index. It is safe for concurrent use.
type Index struct {
	ids      []string
	postings map[string][]posting
	terms    []string // sorted keys of postings, for prefix matches
	norm     []float32
	n        int
}

type posting struct {
	doc int32
	tf  float32 // weighted term frequency
}

// New builds an index over docs.
func New(docs []Doc) *Index {
	ix := &Index{
		ids:      make([]string, len(docs)),
		postings: map[string][]posting{},
		norm:     make([]float32, len(docs)),
		n:        len(docs),
	}
	lengths := make([]float64, len(docs))
	total := 0.0
	for i, d := range docs {
		ix.ids[i] = d.ID
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, t := range Terms(text) {
				tf[t] += w
				lengths[i] += w
			}
		}
		name := d.Name
		if name == "" {
			name = d.ID
		}
		add(name, weightName)
		add(d.Title, weightTitle)
		add(d.Server, weightServer)
		add(d.Description, weightDesc)
		for _, p := range d.Params {
			add(p.Name, weightParamName)
			add(p.Description, weightParamDesc)
		}
		total += lengths[i]
		for t, f := range tf {
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(i), tf: float32(f)})
		}
	}
	avg := 1.0
	if len(docs) > 0 && total > 0 {
		avg = total / float64(len(docs))
	}
	for i, l := range lengths {
		ix.norm[i] = float32(bm25K1 * (1 - bm25B + bm25B*l/avg))
	}
	ix.terms = make([]string, 0, len(ix.postings))
	for t := range ix.postings {
		ix.terms = append(ix.terms, t)
	}
	sort.Strings(ix.terms)
	return ix
}

// Len returns the number of documents.
func (ix *Index) Len() int { return ix.n }

// Search returns at most k documents matching query, best first. Documents
// that share no term with the query are not returned. Ties keep the order
// the documents were given in.
func (ix *Index) Search(query string, k int) []Hit {
	if k <= 0 || ix.n == 0 {
		return nil
	}
	weights := ix.queryTerms(query)
	if len(weights) == 0 {
		return nil
	}
	// Terms in a fixed order: float sums must not depend on map order.
	terms := make([]string, 0, len(weights))
	for t := range weights {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	// A dense score array beats a map at these sizes (a few thousand tools).
	scores := make([]float64, ix.n)
	matched := make([]int32, 0, 64)
	for _, t := range terms {
		w := weights[t]
		ps := ix.postings[t]
		idf := math.Log(1 + (float64(ix.n)-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			tf := float64(p.tf)
			if scores[p.doc] == 0 {
				matched = append(matched, p.doc)
			}
			scores[p.doc] += w * idf * tf * (bm25K1 + 1) / (tf + float64(ix.norm[p.doc]))
		}
	}
	hits := make([]Hit, 0, len(matched))
	for _, d := range matched {
		hits = append(hits, Hit{ID: ix.ids[d], Doc: int(d), Score: scores[d]})
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return a.Doc - b.Doc
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// queryTerms weighs the query's terms, their synonyms and the index terms
// they are a prefix of. A term keeps the highest weight any route gives it.
func (ix *Index) queryTerms(query string) map[string]float64 {
	out := map[string]float64{}
	put := func(t string, w float64) {
		if _, ok := ix.postings[t]; ok && w > out[t] {
			out[t] = w
		}
	}
	for _, t := range Terms(query) {
		put(t, 1)
		for _, s := range synonyms[t] {
			put(s, synonymWeight)
		}
		if len(t) >= minPrefixLen {
			i := sort.SearchStrings(ix.terms, t)
			for ; i < len(ix.terms) && strings.HasPrefix(ix.terms[i], t); i++ {
				if ix.terms[i] != t {
					put(ix.terms[i], prefixWeight)
				}
			}
		}
	}
	return out
}
