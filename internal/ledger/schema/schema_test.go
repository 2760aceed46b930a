package schema

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr string
	}{
		{"ordered by version", fstest.MapFS{
			"m/0010_c.sql": {Data: []byte("C")}, "m/0002_b.sql": {Data: []byte("B")}, "m/0001_a.sql": {Data: []byte("A")},
		}, []int{1, 2, 10}, ""},
		{"bad name", fstest.MapFS{"m/first.sql": {}}, nil, "positive version"},
		{"zero version", fstest.MapFS{"m/0000_x.sql": {}}, nil, "positive version"},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": {}, "m/1_b.sql": {}}, nil, "share version 1"},
		{"no directory", fstest.MapFS{}, nil, "reading migrations"},
	}
	for _, tt := range tests {
		ms, err := Load(tt.files, "m")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(ms) != len(tt.want) {
			t.Fatalf("%s: %v %+v", tt.name, err, ms)
		}
		for i, v := range tt.want {
			if ms[i].Version != v {
				t.Errorf("%s: migration %d has version %d, want %d", tt.name, i, ms[i].Version, v)
			}
		}
		if ms[0].SQL != "A" || ms[0].Name != "0001_a.sql" {
			t.Errorf("%s: first %+v", tt.name, ms[0])
		}
	}
}
