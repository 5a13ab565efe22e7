//! Pushing onto a vector with the element built where it goes.
//!
//! `Vec::push(v)` has its argument built before the capacity check, whose growth path is a
//! call; across that call LLVM keeps the value in a stack temporary, written with narrow
//! stores (a 4-byte tag, a payload) and copied into the vector with 16-byte loads that the
//! processor cannot forward from those stores. In the integer loop that stall was a third of
//! `fib(30)`'s time (perf, issue 14). Reserving first and building the element afterwards
//! lets its fields be stored straight into the vector.

/// `v.push(make())`, with `make` called once there is room.
#[inline(always)]
pub fn push_made<T>(v: &mut Vec<T>, make: impl FnOnce() -> T) {
    if v.len() == v.capacity() {
        v.reserve(1);
    }
    let len = v.len();
    match v.spare_capacity_mut().first_mut() {
        Some(slot) => {
            slot.write(make());
            #[allow(unsafe_code)]
            // SAFETY: the element at `len`, the first spare one (within the capacity), was
            // initialised just above, so the first `len + 1` elements are.
            unsafe {
                v.set_len(len + 1)
            };
        }
        // Not reached: `reserve(1)` left room.
        None => v.push(make()),
    }
}

#[cfg(test)]
mod tests {
    use super::push_made;
    use std::rc::Rc;

    /// Elements that own memory land in order and are dropped once, across every growth
    /// (run under Miri as well: `cargo miri test -p kiwi-vm --lib push`).
    #[test]
    fn pushes_in_order_across_growth() {
        let shared = Rc::new(7);
        let mut v: Vec<(Rc<i32>, usize)> = Vec::new();
        for i in 0..100 {
            push_made(&mut v, || (shared.clone(), i));
        }
        assert_eq!(v.len(), 100);
        assert!(v.iter().enumerate().all(|(i, (_, n))| *n == i));
        assert_eq!(Rc::strong_count(&shared), 101);
        drop(v);
        assert_eq!(Rc::strong_count(&shared), 1);
        let mut full = Vec::with_capacity(1);
        push_made(&mut full, || String::from("a"));
        push_made(&mut full, || String::from("b"));
        assert_eq!(full, ["a", "b"]);
    }
}
