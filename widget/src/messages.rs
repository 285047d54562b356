//! Every string the widget shows, in pt-BR, en and es, keyed by the name a page uses to
//! override it (`options.messages`). One table: the enum, the keys, the three locales and the
//! TypeScript interface all come from the same lines. WhatsApp's menu names drift between app
//! versions, which is why every string can be overridden.

use alloc::string::String;

macro_rules! messages {
    ($( $variant:ident $key:literal [$pt:literal, $en:literal, $es:literal] )*) => {
        /// A message.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum Msg { $( $variant, )* }

        // Packed lists (one string each, NUL-separated, in `Msg` order) rather than arrays of
        // `&str`: a table of pointers costs more wasm than the texts' separators.
        /// Each message's name in `options.messages`.
        const KEYS: &str = concat!($( $key, "\0", )*);
        /// The built-in texts of each locale, in `Locale` order.
        const TEXTS: [&str; 3] = [
            concat!($( $pt, "\0", )*),
            concat!($( $en, "\0", )*),
            concat!($( $es, "\0", )*),
        ];

        /// The `messages` option's type, emitted into the package's `.d.ts`.
        pub const TS_MESSAGES: &str = concat!(
            "/** Overrides of built-in strings, by name. `{n}` and `{m}` are numbers. */\n",
            "export interface PilotConnectMessages {\n",
            $( "  ", $key, "?: string;\n", )*
            "}\n"
        );
    };
}

messages! {
    Title "title" ["Conecte seu WhatsApp", "Connect your WhatsApp", "Conecta tu WhatsApp"]
    Step1 "step1" ["Abra o WhatsApp no seu celular.", "Open WhatsApp on your phone.", "Abre WhatsApp en tu teléfono."]
    Step2 "step2" [
        "Toque em Mais opções (⋮) ou Configurações e depois em Aparelhos conectados › Conectar um aparelho.",
        "Tap More options (⋮) or Settings, then Linked devices › Link a device.",
        "Toca Más opciones (⋮) o Ajustes y luego Dispositivos vinculados › Vincular un dispositivo."
    ]
    Step3 "step3" ["Aponte o celular para este código QR.", "Point your phone at this QR code.", "Apunta tu teléfono a este código QR."]
    Loading "loading" ["Gerando o código QR…", "Getting your QR code…", "Generando el código QR…"]
    Scan "scan" ["Escaneie o código QR com o WhatsApp.", "Scan the QR code with WhatsApp.", "Escanea el código QR con WhatsApp."]
    Attempt "attempt" ["Código {n} de {m}", "Code {n} of {m}", "Código {n} de {m}"]
    Countdown "countdown" ["Novo código em {n} s", "New code in {n} s", "Nuevo código en {n} s"]
    Refreshing "refreshing" ["Gerando um novo código…", "Getting a new code…", "Generando un nuevo código…"]
    NewCode "newCode" ["Gerar novo código", "Get a new code", "Generar nuevo código"]
    CodeLabel "codeLabel" ["Ou conecte com o número de telefone:", "Or link with your phone number:", "O vincula con tu número de teléfono:"]
    CodeSteps "codeSteps" [
        "Em Conectar um aparelho, toque em Conectar com número de telefone e digite este código.",
        "In Link a device, tap Link with phone number instead and type this code.",
        "En Vincular un dispositivo, toca Vincular con el número de teléfono e ingresa este código."
    ]
    Copy "copy" ["Copiar código", "Copy code", "Copiar código"]
    Copied "copied" ["Código copiado", "Code copied", "Código copiado"]
    QrAlt "qrAlt" ["Código QR para conectar o WhatsApp", "QR code to link WhatsApp", "Código QR para vincular WhatsApp"]
    Expired "expired" ["O código QR expirou.", "The QR code expired.", "El código QR caducó."]
    Reload "reload" ["Carregar novo código", "Load a new code", "Cargar nuevo código"]
    Connected "connected" ["WhatsApp conectado", "WhatsApp connected", "WhatsApp conectado"]
    ConnectedText "connectedText" [
        "Tudo pronto. Você já pode fechar esta janela.",
        "All set. You can close this window.",
        "Todo listo. Ya puedes cerrar esta ventana."
    ]
    Retry "retry" ["Tentar novamente", "Try again", "Reintentar"]
    ErrorNetworkTitle "errorNetworkTitle" ["Sem conexão", "No connection", "Sin conexión"]
    ErrorNetwork "errorNetwork" [
        "Não foi possível falar com o servidor. Verifique sua internet e tente novamente.",
        "We couldn't reach the server. Check your internet connection and try again.",
        "No pudimos comunicarnos con el servidor. Revisa tu conexión a internet e inténtalo de nuevo."
    ]
    ErrorRateLimitedTitle "errorRateLimitedTitle" ["Muitas tentativas", "Too many attempts", "Demasiados intentos"]
    ErrorRateLimited "errorRateLimited" ["Tentando de novo em {n} s.", "Trying again in {n} s.", "Reintentando en {n} s."]
    ErrorExpiredTitle "errorExpiredTitle" ["Sessão expirada", "Session expired", "Sesión caducada"]
    ErrorExpired "errorExpired" [
        "Sua sessão expirou. Recarregue a página para continuar.",
        "Your session expired. Reload the page to continue.",
        "Tu sesión caducó. Recarga la página para continuar."
    ]
    ErrorUnauthorizedTitle "errorUnauthorizedTitle" ["Link inválido", "This link is not valid", "Enlace no válido"]
    ErrorUnauthorized "errorUnauthorized" [
        "Abra esta página de novo a partir do site ou aplicativo que enviou você até aqui.",
        "Open this page again from the site or app that sent you here.",
        "Abre esta página de nuevo desde el sitio o la app que te trajo aquí."
    ]
    ErrorOriginTitle "errorOriginTitle" ["Página não autorizada", "This page is not allowed", "Página no autorizada"]
    ErrorOrigin "errorOrigin" [
        "Este site não está autorizado a conectar o WhatsApp. Avise o responsável pelo site.",
        "This site is not allowed to link WhatsApp. Please let the site owner know.",
        "Este sitio no está autorizado para vincular WhatsApp. Avisa al responsable del sitio."
    ]
    ErrorNotFoundTitle "errorNotFoundTitle" ["Número não encontrado", "Number not found", "Número no encontrado"]
    ErrorNotFound "errorNotFound" [
        "Este número não existe mais. Peça um novo link.",
        "This number no longer exists. Ask for a new link.",
        "Este número ya no existe. Pide un nuevo enlace."
    ]
    ErrorNotPairableTitle "errorNotPairableTitle" ["Conexão por QR indisponível", "QR linking unavailable", "Vinculación por QR no disponible"]
    ErrorNotPairable "errorNotPairable" [
        "Este número não pode ser conectado com um código QR.",
        "This number can't be linked with a QR code.",
        "Este número no se puede vincular con un código QR."
    ]
    ErrorServerTitle "errorServerTitle" ["Serviço indisponível", "Service unavailable", "Servicio no disponible"]
    ErrorServer "errorServer" [
        "O serviço de conexão falhou. Tente novamente em instantes.",
        "The connection service failed. Try again in a moment.",
        "El servicio de conexión falló. Inténtalo de nuevo en un momento."
    ]
    ErrorConfigTitle "errorConfigTitle" ["Serviço não configurado", "Service not configured", "Servicio no configurado"]
    ErrorConfig "errorConfig" [
        "O serviço de conexão ainda não foi configurado. Avise o responsável pelo site.",
        "The connection service is not set up yet. Please let the site owner know.",
        "El servicio de conexión aún no está configurado. Avisa al responsable del sitio."
    ]
}

/// A built-in locale.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Locale {
    /// Brazilian Portuguese (the default for `pt*`).
    PtBr = 0,
    /// English.
    En,
    /// Spanish.
    Es,
}

impl Locale {
    /// `requested` (`pt-BR`, `en`, `es`, or `auto`/empty for the browser's `browser_lang`).
    #[must_use]
    pub fn pick(requested: &str, browser_lang: &str) -> Self {
        let tag = if requested.is_empty() || requested.eq_ignore_ascii_case("auto") {
            browser_lang
        } else {
            requested
        };
        let lang = tag
            .as_bytes()
            .split(|b| matches!(b, b'-' | b'_'))
            .next()
            .unwrap_or_default();
        if lang.eq_ignore_ascii_case(b"en") {
            Self::En
        } else if lang.eq_ignore_ascii_case(b"es") {
            Self::Es
        } else {
            Self::PtBr
        }
    }

    /// The BCP 47 tag (`lang` attribute).
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::PtBr => "pt-BR",
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The built-in text of `m`.
    #[must_use]
    pub fn text(self, m: Msg) -> &'static str {
        TEXTS
            .get(self as usize)
            .map_or("", |texts| nth(texts, m as usize))
    }
}

impl Msg {
    /// Its name in `options.messages`.
    #[must_use]
    pub fn key(self) -> &'static str {
        nth(KEYS, self as usize)
    }
}

/// Every message's name in `options.messages`, in order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    KEYS.split_terminator('\0')
}

/// Item `n` of a packed list whose items each end with a NUL (`""` past the end). Byte search
/// and checked slicing: no char searcher, no panic path.
#[must_use]
pub fn nth(list: &str, n: usize) -> &str {
    let mut rest = list;
    for _ in 0..n {
        match rest.bytes().position(|b| b == 0) {
            Some(i) => rest = rest.get(i + 1..).unwrap_or_default(),
            None => return "",
        }
    }
    let end = rest.bytes().position(|b| b == 0).unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// `{n}`/`{m}` replaced by numbers (no `format!`, and no slicing that could panic: this is
/// the widget's hot path and every panic path costs bytes).
#[must_use]
pub fn fill(template: &str, n: u32, m: u32) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    // `{` is ASCII, so splitting at its byte index is a char boundary (checked anyway).
    while let Some((before, after)) = rest
        .bytes()
        .position(|b| b == b'{')
        .and_then(|i| rest.split_at_checked(i))
    {
        out.push_str(before);
        if let Some(tail) = after.strip_prefix("{n}") {
            push_u32(&mut out, n);
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("{m}") {
            push_u32(&mut out, m);
            rest = tail;
        } else {
            out.push_str("{");
            rest = after.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

fn push_u32(out: &mut String, v: u32) {
    // Highest digit first, by recursion: only divisions by the constant 10 (no panic path).
    if v >= 10 {
        push_u32(out, v / 10);
    }
    // `&str`s, not `char`s: no UTF-8 encoder in the wasm for ASCII digits.
    let d = (v % 10) as usize;
    out.push_str("0123456789".get(d..=d).unwrap_or_default());
}
