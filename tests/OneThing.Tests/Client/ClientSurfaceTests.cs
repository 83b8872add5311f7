using System.Reflection;
using OneThing.Api.Documentation;
using OneThing.Client;

namespace OneThing.Tests.Client;

/// <summary>The client covers the whole API: a method per operation of the document, named after its operationId.</summary>
public sealed class ClientSurfaceTests
{
    [Fact]
    public void EveryOperationHasAClientMethod()
    {
        var methods = typeof(OneThingClient).GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var missing = OperationCatalog.Operations
            .Select(operation => (Route: operation.Key, Method: char.ToUpperInvariant(operation.Value.OperationId[0]) + operation.Value.OperationId[1..] + "Async"))
            .Where(operation => !methods.Contains(operation.Method))
            .Select(operation => $"{operation.Route} ({operation.Method})")
            .ToList();
        Assert.True(missing.Count == 0, "OneThingClient lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryAsyncMethodTakesACancellationTokenLast()
    {
        foreach (var method in typeof(OneThingClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal)))
        {
            var parameters = method.GetParameters();
            Assert.True(parameters.Length > 0 && parameters[^1].ParameterType == typeof(CancellationToken) && parameters[^1].IsOptional,
                $"{method.Name} ends with an optional CancellationToken");
        }
    }
}
