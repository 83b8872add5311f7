namespace OneThing.Console;

// A class in the project's namespace rather than top-level statements: the tests reference this host and the API's,
// and two global Program types would collide there.
public static class Program
{
    public static void Main(string[] args) => ConsoleHost.Build(args).Run();
}
