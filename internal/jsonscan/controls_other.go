//go:build !amd64

package jsonscan

// controlBlock is the size of the blocks controlBlocks takes.
const controlBlock = 32

// controlBlocks reports whether b, of a multiple of 32 bytes, has a control
// byte (below 0x20) and whether it has a byte beyond ASCII.
func controlBlocks(b []byte) (ctl, high bool) { return controlBlocksSWAR(b) }
