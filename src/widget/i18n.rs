//! Built-in strings (pt-BR, en, es). Menu names follow WhatsApp's own wording, which drifts
//! between app versions, so every string can be overridden through `options.messages`.

/// A message key; `KEYS[i]` is its name in `options.messages`.
#[derive(Clone, Copy)]
pub enum Msg {
    Title = 0,
    Step1,
    Step2,
    Step3,
    CodeLabel,
    CodeSteps,
    Copy,
    Copied,
    Countdown,
    KeepShowing,
    Loading,
    Refreshing,
    Scan,
    Connected,
    Expired,
    NewCode,
    ErrNetwork,
    ErrRateLimited,
    ErrUnauthorized,
    ErrServer,
    ErrNotFound,
    ErrConfig,
    Retry,
    QrAlt,
    Attempt,
}

pub const KEYS: [&str; 25] = [
    "title",
    "step1",
    "step2",
    "step3",
    "codeLabel",
    "codeSteps",
    "copy",
    "copied",
    "countdown",
    "keepShowing",
    "loading",
    "refreshing",
    "scan",
    "connected",
    "expired",
    "newCode",
    "errorNetwork",
    "errorRateLimited",
    "errorUnauthorized",
    "errorServer",
    "errorNotFound",
    "errorConfig",
    "retry",
    "qrAlt",
    "attempt",
];

const PT: [&str; 25] = [
    "Conecte seu WhatsApp",
    "Abra o WhatsApp no seu celular.",
    "Toque em Mais opções (⋮) ou Configurações e depois em Aparelhos conectados › Conectar um aparelho.",
    "Aponte o celular para este código QR.",
    "Ou conecte com o código:",
    "Em Conectar um aparelho, toque em Conectar com número de telefone e digite este código.",
    "Copiar",
    "Código copiado",
    "Novo código em {n} s",
    "Manter / novo código",
    "Gerando o código QR…",
    "Atualizando o código…",
    "Escaneie o código QR com o WhatsApp.",
    "WhatsApp conectado!",
    "O código expirou.",
    "Gerar novo código",
    "Sem conexão com o servidor. Verifique sua internet.",
    "Muitas tentativas. Tentando de novo em {n} s.",
    "A sessão expirou. Recarregue a página.",
    "O serviço está indisponível no momento.",
    "Este número não foi encontrado.",
    "O serviço de conexão não está configurado.",
    "Tentar novamente",
    "Código QR para conectar o WhatsApp",
    "Código {n} de {m}",
];

const EN: [&str; 25] = [
    "Connect your WhatsApp",
    "Open WhatsApp on your phone.",
    "Tap More options (⋮) or Settings, then Linked devices › Link a device.",
    "Point your phone at this QR code.",
    "Or link with this code:",
    "In Link a device, tap Link with phone number instead and type this code.",
    "Copy",
    "Code copied",
    "New code in {n} s",
    "Keep showing / new code",
    "Generating the QR code…",
    "Refreshing the code…",
    "Scan the QR code with WhatsApp.",
    "WhatsApp connected!",
    "The code expired.",
    "Get a new code",
    "Cannot reach the server. Check your connection.",
    "Too many attempts. Trying again in {n} s.",
    "Your session expired. Reload the page.",
    "The service is unavailable right now.",
    "This number was not found.",
    "The connect service is not configured.",
    "Try again",
    "QR code to link WhatsApp",
    "Code {n} of {m}",
];

const ES: [&str; 25] = [
    "Conecta tu WhatsApp",
    "Abre WhatsApp en tu teléfono.",
    "Toca Más opciones (⋮) o Ajustes y luego Dispositivos vinculados › Vincular un dispositivo.",
    "Apunta tu teléfono a este código QR.",
    "O vincula con este código:",
    "En Vincular un dispositivo, toca Vincular con el número de teléfono y escribe este código.",
    "Copiar",
    "Código copiado",
    "Nuevo código en {n} s",
    "Mantener / nuevo código",
    "Generando el código QR…",
    "Actualizando el código…",
    "Escanea el código QR con WhatsApp.",
    "¡WhatsApp conectado!",
    "El código expiró.",
    "Generar nuevo código",
    "No se puede conectar con el servidor. Revisa tu conexión.",
    "Demasiados intentos. Reintentando en {n} s.",
    "Tu sesión expiró. Recarga la página.",
    "El servicio no está disponible ahora.",
    "No se encontró este número.",
    "El servicio de conexión no está configurado.",
    "Reintentar",
    "Código QR para vincular WhatsApp",
    "Código {n} de {m}",
];

/// A supported locale.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Locale {
    PtBr,
    En,
    Es,
}

impl Locale {
    /// `pt*` → pt-BR, `es*` → es, anything else → en. `auto`/empty uses `navigator.language`.
    pub fn pick(requested: &str, browser: &str) -> Self {
        let tag = if requested.is_empty() || requested.eq_ignore_ascii_case("auto") {
            browser
        } else {
            requested
        };
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("pt") {
            Self::PtBr
        } else if lower.starts_with("es") {
            Self::Es
        } else {
            Self::En
        }
    }

    /// BCP 47 tag for the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Self::PtBr => "pt-BR",
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The built-in text.
    pub fn text(self, m: Msg) -> &'static str {
        let table = match self {
            Self::PtBr => &PT,
            Self::En => &EN,
            Self::Es => &ES,
        };
        table[m as usize]
    }
}

/// Replaces `{n}` and `{m}` without `format!` (keeps `core::fmt` out of the widget).
pub fn fill(template: &str, n: u32, m: u32) -> String {
    template.replace("{n}", &itoa(n)).replace("{m}", &itoa(m))
}

/// `u32` → decimal text.
pub fn itoa(mut v: u32) -> String {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf[i..].iter().map(|&b| char::from(b)).collect()
}
