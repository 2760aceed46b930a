package jsonscan

// controlBlock is the size of the blocks controlBlocks takes.
const controlBlock = 16

// controlBlocks reports whether b, of a multiple of 16 bytes, has a control
// byte (below 0x20) and whether it has a byte beyond ASCII. It is in
// assembly (SSE2, which every amd64 processor has): sixteen bytes are
// compared at once, where Go tests eight with a few instructions each.
//
//go:noescape
func controlBlocks(b []byte) (ctl, high bool)
