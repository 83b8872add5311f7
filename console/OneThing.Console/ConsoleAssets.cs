using System.Collections.Concurrent;

namespace OneThing.Console;

/// <summary>The stylesheet and script, embedded in the assembly (no web root, nothing from outside).</summary>
public static class ConsoleAssets
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static IResult Serve(string name, string contentType)
    {
        var bytes = Cache.GetOrAdd(name, static resource =>
        {
            using var stream = typeof(ConsoleAssets).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The resource {resource} is not embedded.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        });
        return TypedResults.Bytes(bytes, contentType);
    }

    public const string TooManyLookUpsPage = """
        <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>查询过于频繁</title><link rel="stylesheet" href="/console.css"></head>
        <body><main class="page"><h1>查询过于频繁</h1><p role="alert">查询次数过多，请一分钟后再试。</p><p><a href="/progress">返回办件查询</a></p></main></body></html>
        """;

    public const string TooManySignInsPage = """
        <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>登录尝试过于频繁</title><link rel="stylesheet" href="/console.css"></head>
        <body><main class="page"><h1>登录尝试过于频繁</h1><p role="alert">登录尝试次数过多，请一分钟后再试。</p><p><a href="/sign-in">返回登录</a></p></main></body></html>
        """;
}
