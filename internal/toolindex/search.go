package toolindex

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// Weights of the routes by which a query word reaches an index term.
const (
	synonymWeight = 0.6 // a common synonym or abbreviation of the word
	familyWeight  = 0.7 // a word of the same family: "visualization" for "visualize"
	prefixWeight  = 0.4 // a longer term the word is a prefix of
	minPrefixLen  = 3

	// nameBonus scales the bonus for the share of the tool name's terms the
	// query covers: a query that names every part of "create_repository"
	// (in any words) is about that tool more than about one that merely
	// mentions repositories.
	nameBonus = 0.25
)

// scratch is the per-search working memory, one slot per document. Every
// slot is zero between searches.
type scratch struct {
	scores   []float64
	best     []float64 // the current concept's best score per doc
	named    []bool    // the current concept matched the doc's name
	nameHits []uint8   // concepts that matched the doc's name
	matched  []int32
	touched  []int32
	hits     []Hit
}

func newScratch(n int) *scratch {
	return &scratch{scores: make([]float64, n), best: make([]float64, n), named: make([]bool, n), nameHits: make([]uint8, n)}
}

// expansion is one index term a query concept reaches, at a weight.
type expansion struct {
	term string
	w    float64
}

// Search returns at most k documents matching query, best first. Documents
// that share no term with the query are not returned. Ties keep the order
// the documents were given in.
func (ix *Index) Search(query string, k int) []Hit {
	if k <= 0 || ix.n == 0 {
		return nil
	}
	concepts := ix.concepts(query)
	if len(concepts) == 0 {
		return nil
	}
	// Dense arrays beat maps at these sizes (a few thousand tools); they
	// are pooled so that searching makes little garbage.
	sc := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(sc)
	scores, best, named, nameHits := sc.scores, sc.best, sc.named, sc.nameHits
	matched, touched := sc.matched[:0], sc.touched[:0]
	defer func() {
		for _, d := range matched {
			scores[d], nameHits[d] = 0, 0
		}
		sc.matched, sc.touched = matched, touched
	}()
	for _, c := range concepts {
		touched = touched[:0]
		for _, e := range c {
			ps := ix.postings[e.term]
			idf := math.Log(1 + (float64(ix.n)-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
			for _, p := range ps {
				tf := float64(p.tf)
				s := e.w * idf * tf * (bm25K1 + 1) / (tf + bm25K1)
				if best[p.doc] == 0 && !named[p.doc] {
					touched = append(touched, p.doc)
				}
				if s > best[p.doc] {
					best[p.doc] = s
				}
				if p.inName && e.w >= synonymWeight {
					named[p.doc] = true
				}
			}
		}
		for _, d := range touched {
			if scores[d] == 0 {
				matched = append(matched, d)
			}
			scores[d] += best[d]
			if named[d] {
				nameHits[d]++
			}
			best[d], named[d] = 0, false
		}
	}
	hits := sc.hits[:0]
	for _, d := range matched {
		s := scores[d]
		if n := ix.nameLen[d]; n > 0 {
			s *= 1 + nameBonus*float64(min(nameHits[d], n))/float64(n)
		}
		hits = append(hits, Hit{ID: ix.ids[d], Doc: int(d), Score: s})
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
	sc.hits = hits
	return slices.Clone(hits[:min(k, len(hits))])
}

// concepts turns the query into one list of weighted index terms per
// distinct query word: the word itself, its synonyms, its word family and,
// when the index does not know the word, the terms it is a prefix of. In
// a fixed order, so that float sums do not depend on map order.
func (ix *Index) concepts(query string) [][]expansion {
	var out [][]expansion
	seen := map[string]bool{}
	for _, t := range Terms(query) {
		if seen[t] {
			continue
		}
		seen[t] = true
		ws := map[string]float64{}
		put := func(term string, w float64) {
			if _, ok := ix.postings[term]; ok && w > ws[term] {
				ws[term] = w
			}
		}
		put(t, 1)
		for _, s := range synonyms[t] {
			put(s, synonymWeight)
		}
		if r := family(t); r != "" {
			for _, f := range ix.families[r] {
				put(f, familyWeight)
			}
		}
		if _, known := ix.postings[t]; !known && len(t) >= minPrefixLen {
			i := sort.SearchStrings(ix.terms, t)
			for ; i < len(ix.terms) && strings.HasPrefix(ix.terms[i], t); i++ {
				put(ix.terms[i], prefixWeight)
			}
		}
		if len(ws) == 0 {
			continue
		}
		c := make([]expansion, 0, len(ws))
		for term, w := range ws {
			c = append(c, expansion{term, w})
		}
		slices.SortFunc(c, func(a, b expansion) int { return strings.Compare(a.term, b.term) })
		out = append(out, c)
	}
	return out
}

// SearchAcrossServers is Search with the results spread over servers:
// while other servers have matching tools, no server takes more than
// k - max(1, k/3) of the k places (4 of 5 or 6, 6 of 8), so one server's
// tools, however closely shaped like likely queries, cannot push the best
// tools of the other servers out. Places no other server can fill go to
// the best remaining hits, so a query only one server answers still gets
// k results. Hits are in score order. (Reserving more places, half of
// them, cost 2 to 7 points of top-5 recall in the eval of eval_test.go;
// this share costs none.)
func (ix *Index) SearchAcrossServers(query string, k int) []Hit {
	all := ix.Search(query, ix.n)
	if len(all) <= k || ix.nServers < 2 {
		return all[:min(k, len(all))]
	}
	limit := max(k-max(1, k/3), 1)
	taken := make(map[int32]int)
	picked := make([]bool, len(all))
	n := 0
	for i, h := range all {
		if n == k {
			break
		}
		if s := ix.servers[h.Doc]; taken[s] < limit {
			taken[s]++
			picked[i] = true
			n++
		}
	}
	for i := range all {
		if n == k {
			break
		}
		if !picked[i] {
			picked[i] = true
			n++
		}
	}
	out := make([]Hit, 0, k)
	for i, h := range all {
		if picked[i] {
			out = append(out, h)
		}
	}
	return out
}
