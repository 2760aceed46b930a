#include "textflag.h"

// func controlBlocks(b []byte) (ctl, high bool)
//
// X0 gathers the OR of the bytes (its high bits: a byte beyond ASCII), X1
// the OR of the control flags: a byte x is a control byte when
// min(x, 0x1f) == x, unsigned. Two blocks a step, each into registers of
// its own.
TEXT ·controlBlocks(SB), NOSPLIT, $0-26
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	PXOR X0, X0
	PXOR X1, X1
	MOVQ $0x1f1f1f1f1f1f1f1f, AX
	MOVQ AX, X2
	PUNPCKLQDQ X2, X2
	CMPQ CX, $32
	JB   one

two:
	MOVOU (SI), X3
	MOVOU 16(SI), X5
	POR   X3, X0
	POR   X5, X0
	MOVO  X3, X4
	MOVO  X5, X6
	PMINUB X2, X4
	PMINUB X2, X6
	PCMPEQB X3, X4
	PCMPEQB X5, X6
	POR   X4, X1
	POR   X6, X1
	ADDQ  $32, SI
	SUBQ  $32, CX
	CMPQ  CX, $32
	JAE   two

one:
	CMPQ CX, $16
	JB   done
	MOVOU (SI), X3
	POR   X3, X0
	MOVO  X3, X4
	PMINUB X2, X4
	PCMPEQB X3, X4
	POR   X4, X1

done:
	PMOVMSKB X1, AX
	TESTL AX, AX
	SETNE ctl+24(FP)
	PMOVMSKB X0, BX
	TESTL BX, BX
	SETNE high+25(FP)
	RET
