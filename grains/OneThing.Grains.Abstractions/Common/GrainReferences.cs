namespace OneThing.Grains.Common;

/// <summary>
/// Grain references for the busy paths (every HTTP request, every task action). Orleans' <c>GetGrain&lt;T&gt;(key)</c>
/// works out T's grain interface and grain type by reading T's attributes through reflection on every call, which
/// was 2.4 % of the API's CPU under the benchmark's load. Here that is done once per interface, and each reference is
/// then made from its grain id. Every interface used this way has exactly one grain class, so its grain type never
/// changes while the process runs.
/// </summary>
public static class GrainReferences
{
    public static T Reference<T>(this IGrainFactory factory, string key) where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (Types<T>.Resolved is { } types)
        {
            return (T)factory.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
        }
        var reference = factory.GetGrain<T>(key);
        Types<T>.Remember(reference);
        return reference;
    }

    public static T Reference<T>(this IGrainFactory factory, long key) where T : IGrainWithIntegerKey
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (Types<T>.Resolved is { } types)
        {
            return (T)factory.GetGrain(GrainId.Create(types.Grain, GrainIdKeyExtensions.CreateIntegerKey(key)), types.Interface);
        }
        var reference = factory.GetGrain<T>(key);
        Types<T>.Remember(reference);
        return reference;
    }

    private static class Types<T>
    {
        // A class, so that readers see both types or neither, never a half-written pair.
        public static ResolvedTypes? Resolved;

        public static void Remember(T reference)
        {
            var grain = (GrainReference)(object)reference!;
            Resolved = new ResolvedTypes(grain.GrainId.Type, grain.InterfaceType);
        }
    }

    private sealed record ResolvedTypes(GrainType Grain, GrainInterfaceType Interface);
}
