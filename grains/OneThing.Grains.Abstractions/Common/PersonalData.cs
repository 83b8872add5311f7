using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Common;

/// <summary>
/// Encrypts identity numbers and phones where they are stored (case snapshots, journal rows, inbox rows), so that
/// whoever reads the database or its backups does not read them. AES-256-GCM; a stored value is
/// <c>pd1:&lt;key id&gt;:&lt;base64url(nonce | ciphertext | tag)&gt;</c>, the key id naming which key sealed it so keys
/// can rotate: new values are sealed under the current key, retired keys still open old ones.
/// </summary>
/// <remarks>
/// A value without the prefix is a value stored in clear before encryption existed, and reads as itself. Personal
/// values are validated identity numbers and phones, so none can start with the prefix by chance.
/// </remarks>
public sealed class PersonalDataProtector
{
    public const string Prefix = "pd1:";

    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly DataKey _current;
    private readonly Dictionary<string, DataKey> _byId = new(StringComparer.Ordinal);

    /// <param name="currentKey">32 bytes: what new values are sealed with.</param>
    /// <param name="retiredKeys">Keys values may still be sealed with, until the stored data is re-encrypted.</param>
    public PersonalDataProtector(byte[] currentKey, IEnumerable<byte[]>? retiredKeys = null)
    {
        _current = new DataKey(currentKey);
        _byId[_current.Id] = _current;
        foreach (var retired in retiredKeys ?? [])
        {
            _byId.TryAdd(DataKey.IdOf(retired), new DataKey(retired));
        }
    }

    /// <summary>The id stored with values sealed under the current key.</summary>
    public string CurrentKeyId => _current.Id;

    public static bool IsProtected(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>True when <paramref name="value"/> is sealed under the current key (or absent): nothing to re-encrypt.</summary>
    public bool IsCurrent(string? value) =>
        value is null || (IsProtected(value) && value.AsSpan(Prefix.Length).StartsWith(_current.Id) && value.Length > Prefix.Length + _current.Id.Length
            && value[Prefix.Length + _current.Id.Length] == ':');

    /// <summary>Seals <paramref name="clear"/> under the current key; a value already sealed is returned as it is.</summary>
    public string Protect(string clear)
    {
        if (IsProtected(clear))
        {
            return clear;
        }
        var plain = Encoding.UTF8.GetBytes(clear);
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _current.Cipher.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length));
        return string.Concat(Prefix, _current.Id, ":", Base64Url.EncodeToString(sealedBytes));
    }

    public string? ProtectOrNull(string? clear) => clear is null ? null : Protect(clear);

    /// <summary>
    /// The clear value of <paramref name="value"/>: opened when sealed, as it is when stored before encryption.
    /// </summary>
    /// <exception cref="PersonalDataException">Sealed under a key that is neither current nor retired, or malformed.</exception>
    /// <exception cref="AuthenticationTagMismatchException">The value was altered, or sealed under another key with the same id.</exception>
    public string Unprotect(string value)
    {
        if (!IsProtected(value))
        {
            return value;
        }
        var rest = value.AsSpan(Prefix.Length);
        var colon = rest.IndexOf(':');
        if (colon <= 0)
        {
            throw new PersonalDataException("A protected personal value has no key id.");
        }
        var keyId = rest[..colon].ToString();
        if (!_byId.TryGetValue(keyId, out var key))
        {
            throw new PersonalDataException(
                $"A personal value is sealed under data key id '{keyId}', which is neither OneThing:Privacy:DataKey (id '{_current.Id}') nor one of OneThing:Privacy:RetiredDataKeys.");
        }
        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(rest[(colon + 1)..]);
        }
        catch (FormatException)
        {
            throw new PersonalDataException($"A personal value sealed under data key id '{keyId}' is not base64url.");
        }
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new PersonalDataException($"A personal value sealed under data key id '{keyId}' is too short.");
        }
        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        key.Cipher.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), plain);
        return Encoding.UTF8.GetString(plain);
    }

    public string? UnprotectOrNull(string? value) => value is null ? null : Unprotect(value);

    /// <summary>
    /// Opens <paramref name="value"/> when it is sealed under a key this process holds; any other value is left as it
    /// is. For slots that may hold a personal value or free text (inbox rows, read without the item's form types).
    /// </summary>
    public string Reveal(string value)
    {
        if (!IsProtected(value))
        {
            return value;
        }
        try
        {
            return Unprotect(value);
        }
        catch (Exception error) when (error is PersonalDataException or CryptographicException)
        {
            return value;
        }
    }

    /// <summary>The value sealed under the current key: opened first when it is sealed under a retired one.</summary>
    public string Reprotect(string value) => IsCurrent(value) ? value : Protect(Unprotect(value));

    private sealed class DataKey
    {
        /// <summary>
        /// One cipher per thread: setting up the key schedule costs several times the encryption of an identity number,
        /// and an AesGcm instance must not be used by two threads at once.
        /// </summary>
        private readonly ThreadLocal<AesGcm> _ciphers;

        public DataKey(byte[] bytes)
        {
            if (bytes.Length != 32)
            {
                throw new ArgumentException($"A data key is 32 bytes; this one is {bytes.Length}.", nameof(bytes));
            }
            Id = IdOf(bytes);
            _ciphers = new ThreadLocal<AesGcm>(() => new AesGcm(bytes, TagSize));
        }

        public string Id { get; }

        public AesGcm Cipher => _ciphers.Value!;

        /// <summary>Derived from the key, so a key and its id cannot be configured apart; reveals nothing of the key.</summary>
        public static string IdOf(byte[] key) =>
            Convert.ToHexStringLower(HMACSHA256.HashData(key, "onething-data-key-id"u8))[..8];
    }
}

/// <summary>A protected personal value that cannot be opened: its key is not configured, or it is malformed.</summary>
public sealed class PersonalDataException(string message) : Exception(message);

/// <summary>
/// Keys of the applicant index (<c>onething_applicant_cases</c>): HMAC-SHA256 of the identity number or credit code
/// under a secret key, so the index cannot be reversed by hashing every possible identity number.
/// </summary>
public sealed class ApplicantIndex(byte[] key)
{
    public string KeyOf(string identityNumberOrCreditCode) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Normalize(identityNumberOrCreditCode))));

    /// <summary>A key of its own for another keyed look-up, so that the index key itself serves one purpose only.</summary>
    public byte[] DeriveKey(string purpose) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose));

    private static string Normalize(string identityNumberOrCreditCode) => identityNumberOrCreditCode.Trim().ToUpperInvariant();
}

/// <summary>Which values of a case are personal data, sealed where they are stored: one definition for silo and tools.</summary>
public static class PersonalFields
{
    public const string ApplicantIdNumber = "applicant.idNumber";
    public const string ApplicantPhone = "applicant.phone";

    public static bool IsPersonalFormType(string type) => type is FormFieldTypes.IdNumber or FormFieldTypes.Phone;

    /// <summary>The names of an item's form fields that hold personal data.</summary>
    public static IReadOnlySet<string> FormFields(ItemDefinition item) =>
        item.Form.Where(f => IsPersonalFormType(f.Type)).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>A matter input that carries personal data: the applicant's identity number or phone, or a personal form field.</summary>
    public static bool IsPersonalInput(string name, IReadOnlySet<string> personalFormFields) =>
        name is ApplicantIdNumber or ApplicantPhone || personalFormFields.Contains(name);
}

/// <summary>
/// The privacy keys, read from configuration: <c>OneThing:Privacy:ApplicantIndexKey</c> (base64, at least 32 bytes),
/// <c>OneThing:Privacy:DataKey</c> (base64, exactly 32 bytes) and <c>OneThing:Privacy:RetiredDataKeys:N</c>.
/// </summary>
public sealed record PrivacyKeys(ApplicantIndex ApplicantIndex, PersonalDataProtector Protector)
{
    /// <summary>Keys the case ids derived from Idempotency-Keys, so that knowing a key does not tell its case id.</summary>
    public byte[] CaseIdKey { get; } = ApplicantIndex.DeriveKey("onething-case-id");

    public const string ApplicantIndexKeyName = "OneThing:Privacy:ApplicantIndexKey";
    public const string DataKeyName = "OneThing:Privacy:DataKey";
    public const string RetiredDataKeysName = "OneThing:Privacy:RetiredDataKeys";

    /// <param name="setting">Reads a configuration value by its full key.</param>
    /// <exception cref="PrivacyKeyException">A key is missing or malformed; the message names it.</exception>
    public static PrivacyKeys Read(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var indexKey = Decode(setting, ApplicantIndexKeyName, length => length >= 32, "at least 32 bytes");
        var dataKey = Decode(setting, DataKeyName, length => length == 32, "exactly 32 bytes");
        var retired = new List<byte[]>();
        for (var i = 0; setting($"{RetiredDataKeysName}:{i}") is { Length: > 0 }; i++)
        {
            retired.Add(Decode(setting, $"{RetiredDataKeysName}:{i}", length => length == 32, "exactly 32 bytes"));
        }
        return new PrivacyKeys(new ApplicantIndex(indexKey), new PersonalDataProtector(dataKey, retired));
    }

    private static byte[] Decode(Func<string, string?> setting, string name, Func<int, bool> validLength, string expected)
    {
        var text = setting(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new PrivacyKeyException($"{name} is not set: base64 of {expected} of random data (e.g. `openssl rand -base64 32`).");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new PrivacyKeyException($"{name} is not base64: it must be base64 of {expected} of random data.");
        }
        return validLength(bytes.Length)
            ? bytes
            : throw new PrivacyKeyException($"{name} is {bytes.Length} bytes: it must be base64 of {expected} of random data.");
    }
}

/// <summary>A privacy key is missing or malformed: start-up stops with this one line.</summary>
public sealed class PrivacyKeyException(string message) : Exception(message);
