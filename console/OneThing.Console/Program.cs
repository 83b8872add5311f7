using OneThing.Console;

ConsoleHost.Build(args).Run();
