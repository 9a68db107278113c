package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeBudget bounds the nodes visited in one file, aliases expanded, so that a
// file of nested aliases cannot make decoding run for ever.
const nodeBudget = 200_000

// decoder walks a YAML node tree into Go values by their yaml tags, strictly,
// and remembers the line of every key path it meets in its report.
type decoder struct {
	r      *report
	active map[*yaml.Node]bool // anchored nodes being expanded through an alias
	budget int
}

// decodeFile decodes the single YAML document in data into c.
func decodeFile(r *report, data []byte, c *Config) {
	doc, ok := readDocument(r, data)
	if !ok {
		return
	}
	d := &decoder{r: r, active: make(map[*yaml.Node]bool), budget: nodeBudget}
	d.value(doc, reflect.ValueOf(c).Elem(), "")
}

// readDocument parses data into a node tree, refusing a second document.
func readDocument(r *report, data []byte) (doc *yaml.Node, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.addAt(0, "", "the YAML parser failed on this file (%s); check its syntax", oneLine(fmt.Sprint(p)))
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	doc = new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if !errors.Is(err, io.EOF) {
			r.addYAML(err)
		}
		return nil, false
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		r.addAt(next.Line, "", "a second YAML document starts here; keep the whole configuration in one document")
	case !errors.Is(err, io.EOF):
		r.addYAML(err)
	}
	return doc, true
}

// value decodes n into v, whose key path is path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if d.budget--; d.budget == 0 {
		d.r.addAt(n.Line, path, "the file expands to too many values; use fewer aliases")
	}
	if d.budget <= 0 {
		return
	}
	switch {
	case n.Kind == yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.value(n.Content[0], v, path)
		}
	case n.Kind == yaml.AliasNode:
		d.alias(n, v, path)
	case isNull(n):
		// Absent and null are alike: the zero value, then the defaults.
	case v.Type() == sizeType || v.Type() == amountType:
		d.scalar(n, v, path)
	case v.Type() == classHostsType:
		d.classHosts(n, v, path)
	default:
		d.byKind(n, v, path)
	}
}

// byKind decodes n according to the kind of v.
func (d *decoder) byKind(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), path)
		v.Set(p)
	default:
		d.scalar(n, v, path)
	}
}

// alias decodes the anchored node an alias refers to, refusing cycles.
func (d *decoder) alias(n *yaml.Node, v reflect.Value, path string) {
	if n.Alias == nil || d.active[n.Alias] {
		d.r.addAt(n.Line, path, "alias *%s refers to itself; write the value out", n.Value)
		return
	}
	d.active[n.Alias] = true
	d.value(n.Alias, v, path)
	delete(d.active, n.Alias)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// structure decodes a mapping into a struct, refusing keys it has no field for.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "keys and values (key: value)")
		return
	}
	fields := yamlFields(v.Type())
	d.pairs(n, path, func(key string, kn, vn *yaml.Node) {
		i, ok := fields.index[key]
		if !ok {
			d.r.addAt(kn.Line, "", "%s", unknownKey(key, path, fields.names))
			return
		}
		d.value(vn, v.Field(i), joinPath(path, key))
	})
}

// mapping decodes a mapping into a map with string keys.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "names and their settings (name: ...)")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.pairs(n, path, func(key string, _, vn *yaml.Node) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(vn, elem, joinPath(path, key))
		v.SetMapIndex(reflect.ValueOf(key), elem)
	})
}

// classHosts decodes a class's hosts, a mapping, into a list in the order
// the file wrote them: the first host is the one a student's plain login
// reaches.
func (d *decoder) classHosts(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "hosts and their settings (pc: {}, router: {image: debian})")
		return
	}
	var hosts ClassHosts
	d.pairs(n, path, func(key string, _, vn *yaml.Node) {
		h := ClassHost{Name: key}
		d.value(vn, reflect.ValueOf(&h).Elem(), joinPath(path, key))
		hosts = append(hosts, h)
	})
	v.Set(reflect.ValueOf(hosts))
}

// pairs calls fn for every key of a mapping once, recording its line and
// refusing keys that are not plain names or that appear twice.
func (d *decoder) pairs(n *yaml.Node, path string, fn func(key string, kn, vn *yaml.Node)) {
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key, ok := d.key(kn, path)
		if !ok {
			continue
		}
		p := joinPath(path, key)
		if first, dup := seen[key]; dup {
			d.r.addAt(kn.Line, p, "set twice (first on line %d); keep one", first)
			continue
		}
		seen[key] = kn.Line
		d.r.lines[p] = kn.Line
		fn(key, kn, vn)
	}
}

// key returns the name a key node holds, refusing merge keys and non-scalars.
func (d *decoder) key(kn *yaml.Node, path string) (string, bool) {
	switch {
	case kn.Kind != yaml.ScalarNode:
		d.r.addAt(kn.Line, path, "a key must be a plain name, not %s", kindName(kn))
	case kn.ShortTag() == "!!merge":
		d.r.addAt(kn.Line, path, "merge keys (<<) are not supported; write the keys out")
	default:
		return kn.Value, true
	}
	return "", false
}

// sequence decodes a list into a slice.
func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongKind(n, path, "a list ([a, b] or one \"- item\" line per item)")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		d.r.lines[p] = el.Line
		d.value(el, s.Index(i), p)
	}
	v.Set(s)
}

// scalar decodes a single value with yaml.v3's own rules (and Size's).
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	want := describeType(v.Type())
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, want)
		return
	}
	err := n.Decode(v.Addr().Interface())
	var te *yaml.TypeError
	switch {
	case err == nil && isInt(v.Kind()) && n.ShortTag() == "!!float":
		// yaml.v3 would cut 1.5 down to 1.
		d.r.addAt(n.Line, path, "%q is not %s", n.Value, want)
	case err == nil:
	case errors.As(err, &te):
		d.r.addAt(n.Line, path, "%q is not %s", n.Value, want)
	default:
		d.r.addAt(n.Line, path, "%s", oneLine(err.Error()))
	}
}

// isInt reports whether k is a signed or unsigned integer kind.
func isInt(k reflect.Kind) bool {
	return (k >= reflect.Int && k <= reflect.Int64) || (k >= reflect.Uint && k <= reflect.Uintptr)
}

// wrongKind records that n is not the kind of value path needs.
func (d *decoder) wrongKind(n *yaml.Node, path, want string) {
	if path == "" {
		d.r.addAt(n.Line, "", "the top level must be keys and values such as listen: and users:, not %s", kindName(n))
		return
	}
	d.r.addAt(n.Line, path, "expected %s, found %s", want, kindName(n))
}

// kindName says what a node is, for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "keys and values"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

var (
	sizeType     = reflect.TypeFor[Size]()
	amountType   = reflect.TypeFor[Amount]()
	durationType = reflect.TypeFor[Duration]()

	classHostsType = reflect.TypeFor[ClassHosts]()
)

// describeType says what kind of value a Go type takes, for messages.
func describeType(t reflect.Type) string {
	switch {
	case t == sizeType:
		return "a size such as 512MiB"
	case t == durationType:
		return "a duration such as 30s"
	case t == amountType:
		return "a number or a percentage such as 1%"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	}
	return "a whole number"
}

// fieldSet is the keys a struct takes, by yaml tag.
type fieldSet struct {
	index map[string]int
	names []string // in declaration order
}

// yamlFields lists the yaml keys of a struct type.
func yamlFields(t reflect.Type) fieldSet {
	fs := fieldSet{index: make(map[string]int)}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fs.index[name] = i
		fs.names = append(fs.names, name)
	}
	return fs
}

// joinPath appends a key to a key path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
