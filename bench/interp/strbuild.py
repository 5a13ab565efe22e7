# strbuild.py: twin of strbuild.kiwi. Append a 16-character chunk 65,536
# times with `s += chunk` (1 MiB total) and print the length.
#
# Deliberately `for _ in range(...)`, not `while`: CPython 3.11 only warms up
# (quickens) a code object on calls and on unconditional JUMP_BACKWARD. A
# `while cond:` loop ends in POP_JUMP_BACKWARD_IF_TRUE, so a function called
# once never gets the specialised BINARY_OP_INPLACE_ADD_UNICODE that appends
# in place, and the same loop written with `while` is quadratic (~17 s here
# instead of ~5 ms). The `for` loop is CPython's normal, fast form.


def main():
    chunk = "abcdefghijklmnop"
    s = ""
    for _ in range(65536):
        s += chunk
    print(len(s))


main()
