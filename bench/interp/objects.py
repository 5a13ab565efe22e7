# objects.py: twin of objects.kiwi (see there for the work). Prints one checksum line.


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def moved(self, dx, dy):
        return Point(self.x + dx, self.y + dy)

    def scale(self, k):
        self.x = self.x * k
        self.y = self.y * k

    def sum(self):
        return self.x + self.y


def main():
    total = 0
    i = 0
    while i < 300000:
        p = Point(i % 10, i % 7)
        q = p.moved(1, 2)
        q.scale(2)
        total += q.sum() + p.x
        i += 1
    print(total)


main()
