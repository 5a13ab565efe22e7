# structs.py: twin of structs.kiwi (see there for the work). Prints one checksum line.


class Base:
    def __init__(self, x, y):
        self.x = x
        self.y = y
        self.hits = 0

    def norm1(self):
        return self.x + self.y

    def kind(self):
        return 1


class Vec(Base):
    def __init__(self, x, y):
        super().__init__(x, y)

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y)

    def kind(self):
        return 2

    def touch(self):
        self.hits += 1


def main():
    n = 100000
    acc = Vec(0, 0)
    total = 0
    i = 0
    while i < n:
        v = Vec(i % 7, i % 11)
        acc = acc + v
        total += v.norm1() + v.kind()
        v.touch()
        total += v.hits
        i += 1
    print(f"{acc.x} {acc.y} {total}")


main()
