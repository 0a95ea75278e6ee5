"""The words API reference pages use for the same things in English, French and Japanese.

:mod:`generator.spectables` recognises page parts, table columns, parameter sections, types
and requirement markers only through these lists, so a page in another language (or a new
translation quirk) needs an entry here rather than a change to the reader.  Entries are
lower case; the reader folds case (and, for Latin text, accents) before comparing.  Nothing
here is specific to one API.
"""

from __future__ import annotations

__all__ = [
    "COLUMN_WORDS",
    "DEFAULT_WORDS",
    "HEADER_NAMES",
    "HEADER_VALUE_WORDS",
    "OPTIONAL_WORDS",
    "PERMISSION_HEADER_WORDS",
    "PERMISSION_TYPE_WORDS",
    "PART_HEADINGS",
    "REQUIRED_WORDS",
    "SCOPE_LABEL_WORDS",
    "SECTION_ROW_WORDS",
    "SERVICE_HOSTS",
    "STATUS_WORDS",
    "TYPE_WORDS",
    "VERSION_PLACEHOLDERS",
    "NO_WORDS",
    "YES_WORDS",
]

# Headings (Markdown "## ..." or a bare line of a plain-text page) that name a *part* of an
# operation's documentation rather than a new operation.  Matched against the whole heading.
PART_HEADINGS: dict[str, tuple[str, ...]] = {
    "syntax": (
        "http request",
        "http requests",
        "requête http",
        "requêtes http",
        "requete http",
        "http 要求",
        "http リクエスト",
    ),
    "permissions": ("permissions", "autorisations", "アクセス許可", "アクセス許可の範囲"),
    "headers": (
        "request headers",
        "optional request headers",
        "en-têtes de demande",
        "en-têtes de requête",
        "en-têtes de la demande",
        "要求ヘッダー",
        "リクエスト ヘッダー",
    ),
    "path": (
        "path parameters",
        "function parameters",
        "paramètres de chemin",
        "paramètres du chemin",
        "paramètres de fonction",
        "パス パラメーター",
        "関数パラメーター",
    ),
    "query": (
        "query parameters",
        "optional query parameters",
        "odata query parameters",
        "optional odata query parameters",
        "paramètres de requête",
        "paramètres de requête facultatifs",
        "paramètres facultatifs de requête",
        "クエリ パラメーター",
        "オプションのクエリ パラメーター",
    ),
    "body": ("request body", "corps de la demande", "corps de la requête", "要求本文", "リクエスト本文"),
    "response": ("response", "réponse", "応答", "レスポンス"),
    "examples": ("example", "examples", "exemple", "exemples", "例"),
    "request": ("request", "demande", "requête", "要求", "リクエスト"),
}

# Italic rows that split a parameter table ("|_URL parameters_|") and what they introduce.
SECTION_ROW_WORDS: dict[str, tuple[str, ...]] = {
    "header": ("header", "en-tête", "en-tete", "ヘッダー"),
    "url": ("url", "uri", "path", "chemin", "パス"),
    "query": ("query", "requête", "クエリ"),
    "body": ("body", "corps", "本文", "ボディ"),
}

# Table header cells.  A "name" cell that also holds a "required" word ("Required parameter",
# "Paramètre obligatoire", "必須パラメーター") makes every row of the table required.
COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "name": (
        "parameter",
        "parameters",
        "paremeter",
        "paremeters",
        "paramètre",
        "paramètres",
        "name",
        "nom",
        "header",
        "en-tête",
        "property",
        "propriété",
        "パラメーター",
        "パラメータ",
        "名前",
        "ヘッダー",
        "プロパティ",
    ),
    "type": ("type", "type de", "types", "種類", "型"),
    "description": ("description", "説明"),
    "value": ("value", "valeur", "値"),
    "required": ("required", "required?", "obligatoire", "obligatoire ?", "requis", "必須", "必要な"),
}

# Requirement markers in a description or a "Required?" cell ("Obligatoire.", "省略可。").
REQUIRED_WORDS: tuple[str, ...] = ("required", "obligatoire", "requis", "requise", "必須")
OPTIONAL_WORDS: tuple[str, ...] = (
    "optional",
    "facultatif",
    "facultative",
    "optionnel",
    "optionnelle",
    "省略可",
    "省略可能",
)
# Only in a "Required?" column: a bare yes or no.
YES_WORDS: tuple[str, ...] = ("yes", "oui", "はい", "true")
NO_WORDS: tuple[str, ...] = ("no", "non", "いいえ", "false")

# Phrases that introduce a default value ("Valeur par défaut est `true`", "既定値は true です").
DEFAULT_WORDS: tuple[str, ...] = (
    "default is",
    "default value is",
    "the default is",
    "defaults to",
    "valeur par défaut est",
    "la valeur par défaut est",
    "par défaut est",
    "既定値は",
    "既定は",
)

# The first header cell of a permissions table ("Permission type", "Type d'autorisation", "アクセス許可の種類").
PERMISSION_HEADER_WORDS: tuple[str, ...] = (
    "permission type",
    "account kind",
    "type d'autorisation",
    "type d’autorisation",
    "type de permission",
    "アクセス許可の種類",
)
# Words of a permissions table's first cells, by permission type: a cell naming "delegated" and
# "work" is the delegated work-or-school row ("Déléguée (compte professionnel ou scolaire)").
PERMISSION_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "delegated": ("delegated", "déléguée", "délégué", "委任"),
    "work": ("work", "school", "professionnel", "scolaire", "職場", "学校"),
    "personal": ("personal", "personnel", "個人"),
    "application": ("application", "app-only", "アプリケーション"),
}

# Labels of the permission-scope statement ("_**Minimum required scope**: ..._").
SCOPE_LABEL_WORDS: tuple[str, ...] = ("scope", "portée", "étendue", "範囲")

# Words that make a prose line a statement about the HTTP status.
STATUS_WORDS: tuple[str, ...] = ("http", "status", "code", "état", "コード", "状態")

# Type words as printed in the type column, by the EDM type they stand for.
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "Edm.String": ("string", "str", "text", "chaîne", "chaine", "chaîne de caractères", "文字列"),
    "Edm.Boolean": ("boolean", "bool", "booléen", "booleen", "ブール値", "ブール", "ブール型"),
    "Edm.Int32": ("int", "int32", "integer", "entier", "整数"),
    "Edm.Int64": ("int64", "long"),
    "Edm.Double": ("double", "float", "number", "nombre"),
    "Edm.DateTimeOffset": ("datetimeoffset", "datetime", "date-time", "date et heure", "日時"),
    "Edm.Date": ("date",),
    "Edm.Duration": ("duration", "durée", "期間"),
    "Edm.Guid": ("guid", "uuid"),
    "Edm.Binary": ("binary", "fichier binaire", "binaire", "バイナリ", "バイナリ ファイル"),
    "Edm.Stream": ("stream", "flux"),
}

# HTTP header names by their canonical spelling, with the translations pages print.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "Authorization": ("authorization", "autorisation", "承認", "認証"),
    "Content-Type": ("content-type", "type de contenu", "コンテンツの種類"),
    "Prefer": ("prefer", "préférez", "préférer", "préférence"),
    "Accept": ("accept", "accepter"),
    "If-Match": ("if-match",),
    "If-None-Match": ("if-none-match",),
    "Content-Length": ("content-length",),
    "ConsistencyLevel": ("consistencylevel",),
}

# Words inside header values that translations replace ("Porteur {token}" for "Bearer {token}").
HEADER_VALUE_WORDS: dict[str, str] = {"porteur": "Bearer", "bearer": "Bearer"}

# Placeholder names that stand for the API version segment ("/api/{version}/me/...").
VERSION_PLACEHOLDERS: tuple[str, ...] = ("version", "api-version", "api_version", "apiversion")

# Hosts and the short service name an operation carries; other hosts name themselves.
SERVICE_HOSTS: dict[str, str] = {
    "graph.microsoft.com": "graph",
    "outlook.office.com": "outlook",
    "outlook.office365.com": "outlook",
}
