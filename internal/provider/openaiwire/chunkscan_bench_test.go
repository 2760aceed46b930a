package openaiwire

import "testing"

// BenchmarkDecodeChunk decodes the chunks a stream is made of, as
// ChatStream.decode does: into a reused chatChunk, with the previous
// chunk's id and model at hand.
func BenchmarkDecodeChunk(b *testing.B) {
	for _, c := range usualChunks {
		b.Run(c.name, func(b *testing.B) {
			data := []byte(c.data)
			var w chatChunk
			if !decodeChunkFast(data, &w, "", "") {
				b.Fatal("the fast path refused the chunk")
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				prevID, prevModel := w.ID, w.Model
				choices := w.Choices[:cap(w.Choices)]
				clear(choices)
				w = chatChunk{Choices: choices[:0]}
				if !decodeChunkFast(data, &w, prevID, prevModel) {
					b.Fatal("the fast path refused the chunk")
				}
			}
		})
	}
}
