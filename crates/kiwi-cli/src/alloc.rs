//! The global allocator: mimalloc, called the way its C API is fastest.
//!
//! The `mimalloc` crate's `GlobalAlloc` passes every request to `mi_malloc_aligned`, whose
//! fast path checks the alignment of the block it would hand out and falls back to a slow
//! generic path when the check fails. Nearly every Rust allocation asks for an alignment of 8
//! or less, which plain `mi_malloc` always gives (its blocks are aligned to the pointer size),
//! so those go to `mi_malloc` / `mi_realloc` / `mi_zalloc` directly. Larger alignments keep
//! the aligned calls. An HTTP request makes about 29 allocations; this takes roughly 40
//! instructions off each (bench/RESULTS.md, "instructions per request").
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// What mimalloc aligns every block to (the pointer size).
const PLAIN_ALIGN: usize = std::mem::size_of::<usize>();

/// mimalloc through its plain calls where the alignment allows.
pub struct Mimalloc;

// SAFETY: every pointer handed out comes from mimalloc and is aligned as `layout` asks: plain
// `mi_malloc`/`mi_zalloc`/`mi_realloc` blocks are aligned to at least the pointer size, so they
// are used only when `layout.align() <= PLAIN_ALIGN`; other layouts use the `_aligned` calls
// with the alignment given. `mi_free` frees blocks from either kind of call. Null on failure is
// passed through, as `GlobalAlloc` requires.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_malloc(layout.size()) as *mut u8
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_zalloc(layout.size()) as *mut u8
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr as *mut c_void);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_as_asked_and_keep_their_contents() {
        let a = Mimalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 7, 8, 15, 16, 24, 100, 4000, 70_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xab, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    assert!((0..size).all(|i| *q.add(i) == 0xab));
                    a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
