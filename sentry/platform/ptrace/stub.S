// The stub: the only code a guest's host process holds besides guest memory. It is copied to
// a page the sentry reserves and runs from there, so it must be position-independent and use
// no stack and no data.

    .section .rodata
    .globl ms_stub_begin, ms_stub_end, ms_stub_entry, ms_stub_syscall_site
    .globl ms_stub_cmpxchg_site
    .balign 16
ms_stub_begin:

// Entered once by a new stub process: r12 = first stub byte, r13 = end of the stub page,
// r14 = top of the user address space. Unmaps everything else (the sentry's copy-on-write
// image, its libraries, stack, the vDSO and vvar) and then traps to the tracer.
ms_stub_entry:
    mov $11, %eax              // munmap(0, stub_begin)
    xor %edi, %edi
    mov %r12, %rsi
    syscall
    mov $11, %eax              // munmap(stub_end, top - stub_end)
    mov %r13, %rdi
    mov %r14, %rsi
    sub %r13, %rsi
    syscall
1:  int3
    jmp 1b

// Injected syscalls: the sentry points rip here with the syscall's registers; the int3 stops
// the thread again as soon as the host kernel has returned.
ms_stub_syscall_site:
    syscall
2:  int3
    jmp 2b

// Compare-and-exchange of a guest word, atomic against the guest's other threads (futex
// words): rdi = address, eax = expected, esi = desired; eax ends as the value found. A bad
// address faults here, and the sentry reports EFAULT.
ms_stub_cmpxchg_site:
    lock cmpxchg %esi, (%rdi)
3:  int3
    jmp 3b

ms_stub_end:
    .section .note.GNU-stack,"",@progbits
