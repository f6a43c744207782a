package presets

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads a preset from YAML text: defaults, then the strict YAML
// (unknown keys, duplicate keys and wrong types are errors), then ${NAME}
// expansion in source.input, outputs[].url and record.path, then Validate.
// file names the text in errors and in Preset.File. The error, if any, is
// an *Error carrying the line of the offending key.
//
// A null value (`size:` or `size: ~`) sets a field to its zero value, which
// for video.size and video.fps means "keep the input's". A null section
// (`video:`) keeps its defaults.
func Parse(file string, data []byte) (*Preset, error) {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	p, err := parse(file, name, data)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parse(file, defaultName string, data []byte) (*Preset, *Error) {
	p := Defaults()
	p.File = file
	d := &decoder{file: file, lines: map[string]int{}}
	p.lines = d.lines

	var doc yaml.Node
	if e := d.unmarshal(data, &doc); e != nil {
		return nil, e
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		root = nil
		if len(doc.Content) > 0 {
			root = doc.Content[0]
		}
	}
	line := 1
	if root != nil && root.Line > 0 {
		line = root.Line
	}
	root = resolve(root)
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: line, Key: "(root)", Reason: "expected a mapping of keys"}
	}
	if e := d.walkStruct(root, reflect.ValueOf(p).Elem(), ""); e != nil {
		return nil, e
	}

	if p.Name == "" {
		p.Name = defaultName
	}
	if len(p.Outputs) == 0 {
		p.Outputs = nil // `outputs: []` and no outputs read the same
	}
	if len(p.Sources) == 0 {
		p.Sources = nil
	}
	if len(p.Scenes) == 0 {
		p.Scenes = nil
	}
	for i := range p.Outputs {
		if p.Outputs[i].Name == "" {
			p.Outputs[i].Name = "out" + strconv.Itoa(i+1)
		}
	}
	if e := p.expand("source.input", &p.Source.Input); e != nil {
		return nil, e
	}
	for i := range p.Sources {
		if e := p.expand("sources["+strconv.Itoa(i)+"].input", &p.Sources[i].Input); e != nil {
			return nil, e
		}
		if e := p.expand("sources["+strconv.Itoa(i)+"].return", &p.Sources[i].Return); e != nil {
			return nil, e
		}
	}
	for i := range p.Outputs {
		if e := p.expand("outputs["+strconv.Itoa(i)+"].url", &p.Outputs[i].URL); e != nil {
			return nil, e
		}
	}
	if e := p.expand("record.path", &p.Record.Path); e != nil {
		return nil, e
	}
	if e := p.expand("network.ca_file", &p.Network.CAFile); e != nil {
		return nil, e
	}
	dir := "" // a built-in preset's paths are the working directory's
	if !strings.HasSuffix(file, builtinSuffix) {
		dir = filepath.Dir(file)
	}
	if e := p.resolveFilterPaths(dir); e != nil {
		return nil, e
	}
	if e := p.resolveScenePaths(dir); e != nil {
		return nil, e
	}
	if e := p.validate(); e != nil {
		return nil, e
	}
	return p, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// unmarshal parses the YAML into a node tree, turning syntax errors (and,
// defensively, parser panics) into an *Error.
func (d *decoder) unmarshal(data []byte, doc *yaml.Node) (e *Error) {
	defer func() {
		if r := recover(); r != nil {
			e = &Error{File: d.file, Line: 1, Reason: fmt.Sprintf("invalid YAML (%v)", r)}
		}
	}()
	err := yaml.Unmarshal(data, doc)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &Error{File: d.file, Line: l, Reason: m[2]}
	}
	return &Error{File: d.file, Line: 1, Reason: strings.TrimPrefix(msg, "yaml: ")}
}

// expand replaces ${NAME} in *s with the environment variable NAME, and
// ${NAME:-default} with the default when NAME is unset or empty (as a
// shell does). The error never contains the expanded text.
func (p *Preset) expand(key string, s *string) *Error {
	in := *s
	if !strings.Contains(in, "${") {
		return nil
	}
	var b strings.Builder
	for {
		i := strings.Index(in, "${")
		if i < 0 {
			b.WriteString(in)
			break
		}
		b.WriteString(in[:i])
		end := strings.IndexByte(in[i:], '}')
		if end < 0 {
			return p.errAt(key, `unterminated "${" (write ${NAME})`)
		}
		name, def, hasDef := strings.Cut(in[i+2:i+end], ":-")
		if !validEnvName(name) {
			return p.errAt(key, "bad environment variable name %s in ${...}", quote(name))
		}
		val, ok := os.LookupEnv(name)
		if hasDef && val == "" {
			val, ok = def, true
		}
		if !ok {
			return p.errAt(key, "environment variable %s is not set", name)
		}
		b.WriteString(val)
		in = in[i+end+1:]
	}
	*s = b.String()
	return nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// decoder walks a yaml.Node tree against the Preset struct via reflection
// on the yaml tags, recording the line of every dotted key path.
type decoder struct {
	file   string
	lines  map[string]int
	active map[*yaml.Node]bool // mappings being walked (alias cycles)
	steps  int                 // work done, bounded against alias bombs
}

// maxSteps bounds the mappings and values walked, so that merges of aliases
// of aliases cannot blow up.
const maxSteps = 100_000

func (d *decoder) err(line int, key, format string, args ...any) *Error {
	return &Error{File: d.file, Line: line, Key: key, Reason: fmt.Sprintf(format, args...)}
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

type fieldInfo struct {
	name  string
	index int
}

func structFields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, fieldInfo{name, i})
	}
	return out
}

func joinKey(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge"
}

func (d *decoder) walkStruct(n *yaml.Node, v reflect.Value, path string) *Error {
	if d.active[n] {
		return d.err(n.Line, orRoot(path), "alias refers to itself")
	}
	if d.active == nil {
		d.active = map[*yaml.Node]bool{}
	}
	d.active[n] = true
	defer delete(d.active, n)
	d.steps++
	if d.steps > maxSteps {
		return d.err(n.Line, orRoot(path), "document too complex (too many aliases)")
	}
	fields := structFields(v.Type())
	// Merge keys (<<: *anchor) first, so that explicit keys override them.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			continue
		}
		m := resolve(val)
		var maps []*yaml.Node
		switch {
		case m != nil && m.Kind == yaml.MappingNode:
			maps = []*yaml.Node{m}
		case m != nil && m.Kind == yaml.SequenceNode:
			for j := len(m.Content) - 1; j >= 0; j-- { // earlier maps win
				maps = append(maps, resolve(m.Content[j]))
			}
		}
		if len(maps) == 0 {
			return d.err(k.Line, joinKey(path, "<<"), "merge needs a mapping or a list of mappings")
		}
		for _, mm := range maps {
			if mm == nil || mm.Kind != yaml.MappingNode {
				return d.err(k.Line, joinKey(path, "<<"), "merge needs a mapping or a list of mappings")
			}
			if e := d.walkStruct(mm, v, path); e != nil {
				return e
			}
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			continue
		}
		k = resolve(k)
		if k == nil || k.Kind != yaml.ScalarNode {
			line := n.Content[i].Line
			return d.err(line, orRoot(path), "keys must be plain names, got %s", kindName(n.Content[i]))
		}
		full := joinKey(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			return d.err(k.Line, full, "duplicate key (first at line %d)", first)
		}
		seen[k.Value] = k.Line
		idx := -1
		for _, f := range fields {
			if f.name == k.Value {
				idx = f.index
				break
			}
		}
		if idx < 0 {
			names := make([]string, len(fields))
			for j, f := range fields {
				names[j] = f.name
			}
			return d.err(k.Line, joinKey(path, shorten(k.Value)), "unknown key (known: %s)", strings.Join(names, ", "))
		}
		d.lines[full] = k.Line
		if e := d.walkValue(val, v.Field(idx), full); e != nil {
			return e
		}
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// defaulter is implemented by list elements and optional sections that
// have defaults.
type defaulter interface{ setDefaults() }

// newDefault returns a pointer to a new t holding t's defaults.
func newDefault(t reflect.Type) reflect.Value {
	p := reflect.New(t)
	if df, ok := p.Interface().(defaulter); ok {
		df.setDefaults()
	}
	return p
}

func (o *OutputConfig) setDefaults() { *o = DefaultOutput() }
func (s *SourceConfig) setDefaults() { *s = DefaultSource() }

func (d *decoder) walkValue(orig *yaml.Node, v reflect.Value, path string) *Error {
	line := orig.Line
	d.steps++
	if d.steps > maxSteps {
		return d.err(line, path, "document too complex (too many aliases)")
	}
	n := resolve(orig)
	if n == nil {
		return d.err(line, path, "bad alias")
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
		// `beauty:` alone turns an optional section on with its defaults.
		v.Set(newDefault(v.Type().Elem()))
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		if v.Kind() != reflect.Struct || v.Type().Implements(reflect.TypeFor[yaml.Unmarshaler]()) ||
			v.Addr().Type().Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
			v.Set(reflect.Zero(v.Type()))
		}
		return nil // a null section keeps its defaults
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			return d.err(line, path, "%s", err.Error())
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		// An optional section or value: present once written, with its
		// defaults under what the file says.
		ev := newDefault(v.Type().Elem())
		if e := d.walkValue(orig, ev.Elem(), path); e != nil {
			return e
		}
		v.Set(ev)
		return nil
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return d.err(line, path, "expected a mapping of keys, got %s", kindName(n))
		}
		return d.walkStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.err(line, path, "expected a list, got %s", kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
		for i, el := range n.Content {
			ep := path + "[" + strconv.Itoa(i) + "]"
			d.lines[ep] = el.Line
			ev := newDefault(v.Type().Elem()).Elem()
			if e := d.walkValue(el, ev, ep); e != nil {
				return e
			}
			s = reflect.Append(s, ev)
		}
		v.Set(s)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return d.err(line, path, "expected %s, got %s", scalarWant(v.Kind()), kindName(n))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var x int64
		if err := n.Decode(&x); err != nil {
			var perr error
			if x, perr = strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64); perr != nil {
				return d.err(line, path, "%s is not an integer", quote(n.Value))
			}
		}
		if v.OverflowInt(x) {
			return d.err(line, path, "%s is too large", quote(n.Value))
		}
		v.SetInt(x)
	case reflect.Float64:
		var f float64
		if err := n.Decode(&f); err != nil {
			var perr error
			if f, perr = strconv.ParseFloat(strings.TrimSpace(n.Value), 64); perr != nil {
				return d.err(line, path, "%s is not a number", quote(n.Value))
			}
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			return d.err(line, path, "%s is not true or false", quote(n.Value))
		}
		v.SetBool(b)
	default:
		return d.err(line, path, "unsupported field type %s", v.Type())
	}
	return nil
}

func scalarWant(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float64:
		return "a number"
	}
	return "an integer"
}
