package toolindex

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWords(t *testing.T) {
	cases := map[string][]string{
		"createIssue":          {"create", "Issue"},
		"get_pull_request":     {"get", "pull", "request"},
		"HTTPServer":           {"HTTP", "Server"},
		"browser-click":        {"browser", "click"},
		"k8s list pods v2":     {"k", "8", "s", "list", "pods", "v", "2"},
		"":                     nil,
		"  ...  ":              nil,
		"résumé_files":         {"résumé", "files"},
		"searchRepositories42": {"search", "Repositories", "42"},
	}
	for in, want := range cases {
		assert.Equal(t, want, words(in), in)
	}
}

func TestStemMeetsInflections(t *testing.T) {
	groups := [][]string{
		{"create", "creates", "created", "creating"},
		{"delete", "deleted", "deleting", "deletes"},
		{"repository", "repositories"},
		{"branch", "branches"},
		{"stop", "stopped", "stopping", "stops"},
		{"issue", "issues"},
		{"list", "lists", "listed", "listing"},
		{"rate", "rated", "rating", "rates"},
		{"make", "making", "makes"},
		{"hope", "hoping", "hoped"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			assert.Equal(t, stem(g[0]), stem(w), "%s vs %s", g[0], w)
		}
	}
	assert.Equal(t, "status", stem("status"))
	assert.Equal(t, "class", stem("class"))
}

func TestTermsKeepCamelCaseWordsWhole(t *testing.T) {
	assert.Equal(t, []string{"git", "hub", "github"}, Terms("GitHub"))
	assert.Equal(t, []string{"mongo", "db", "mongodb"}, Terms("MongoDB"))
	assert.Equal(t, []string{"get", "pull", "request"}, Terms("get_pull_request"))
}

func TestFamilyJoinsDerivedWords(t *testing.T) {
	groups := [][]string{
		{"visualize", "visualization", "visualizing"},
		{"install", "installation", "installer"},
		{"relation", "relationship", "relations"},
		{"deploy", "deployment", "deployments"},
		{"navigate", "navigation"},
		{"notify", "notification"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			assert.Equal(t, family(stem(g[0])), family(stem(w)), "%s vs %s", g[0], w)
		}
	}
	// Short words stay whole rather than collapse into one another.
	assert.NotEqual(t, family(stem("user")), family(stem("use")))
	assert.Equal(t, "", family("db"))
}

func TestSplitLead(t *testing.T) {
	lead, rest := splitLead("\n  Get a file. Use it when you need 2.5 more.\n")
	assert.Equal(t, "Get a file.", lead)
	assert.Equal(t, " Use it when you need 2.5 more.", rest)
	lead, rest = splitLead("Notion | Retrieve a page\n\nError Responses: 400")
	assert.Equal(t, "Notion | Retrieve a page", lead)
	assert.Equal(t, "\n\nError Responses: 400", rest)
}

func TestSearchConcurrent(t *testing.T) {
	ix := New(testDocs())
	want := ix.Search("open a ticket in a repo", 3)
	done := make(chan bool)
	for range 4 {
		go func() {
			for range 50 {
				assert.Equal(t, want, ix.Search("open a ticket in a repo", 3))
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
}

func testDocs() []Doc {
	return []Doc{
		{ID: "github__create_issue", Server: "github", Name: "create_issue", Description: "Create a new issue in a GitHub repository.",
			Params: []Param{{Name: "owner"}, {Name: "repo", Description: "Repository name"}, {Name: "title"}, {Name: "body"}}},
		{ID: "github__list_issues", Server: "github", Name: "list_issues", Description: "List issues in a GitHub repository with filtering options."},
		{ID: "fs__read_file", Server: "fs", Name: "read_file", Description: "Read the complete contents of a file from the file system."},
		{ID: "fs__write_file", Server: "fs", Name: "write_file", Description: "Create a new file or completely overwrite an existing file with new content."},
		{ID: "fs__list_directory", Server: "fs", Name: "list_directory", Description: "Get a detailed listing of all files and directories in a specified path."},
		{ID: "k8s__pods_delete", Server: "kubernetes", Name: "pods_delete", Description: "Delete a Kubernetes pod in the given namespace."},
		{ID: "browser__take_screenshot", Server: "playwright", Name: "browser_take_screenshot", Description: "Take a screenshot of the current page."},
	}
}

func TestSearchRanksTheIntendedTool(t *testing.T) {
	ix := New(testDocs())
	cases := map[string]string{
		"open a ticket in a repo":                "github__create_issue",
		"show me the bugs reported in a project": "github__list_issues",
		"get the contents of a document":         "fs__read_file",
		"save text to a file":                    "fs__write_file",
		"what is inside this folder":             "fs__list_directory",
		"remove a kube pod":                      "k8s__pods_delete",
		"capture an image of the web page":       "browser__take_screenshot",
		"createIssue":                            "github__create_issue",
	}
	for q, want := range cases {
		hits := ix.Search(q, 1)
		require.NotEmpty(t, hits, q)
		assert.Equal(t, want, hits[0].ID, q)
	}
}

func TestSearchEdges(t *testing.T) {
	ix := New(testDocs())
	assert.Nil(t, ix.Search("", 5))
	assert.Nil(t, ix.Search("the of and", 5))
	assert.Nil(t, ix.Search("zzzqqq", 5))
	assert.Nil(t, ix.Search("file", 0))
	assert.Len(t, ix.Search("file", 2), 2)
	assert.Nil(t, New(nil).Search("file", 3))
	assert.Equal(t, 7, ix.Len())
	// Deterministic: the same query gives the same order every time.
	first := ix.Search("file directory", 5)
	for range 20 {
		assert.Equal(t, first, ix.Search("file directory", 5))
	}
}

func BenchmarkSearch1000(b *testing.B) {
	base := testDocs()
	docs := make([]Doc, 0, 1000)
	for i := range 1000 {
		d := base[i%len(base)]
		d.ID = fmt.Sprintf("%s_%d", d.ID, i)
		d.Server = fmt.Sprintf("%s%d", d.Server, i/20)
		docs = append(docs, d)
	}
	ix := New(docs)
	b.ResetTimer()
	for b.Loop() {
		ix.Search("open a ticket in a repo", 10)
	}
}
