"""Console messages for the `staff` pages: key -> (zh-CN, English)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "staff.intro": ("更改角色或密码会立即结束该用户的所有会话；不能停用自己，也不能让控制台失去最后一个启用的管理员。",
                    "Changing a user's role or password ends that user's sessions at once. You cannot disable "
                    "yourself, nor leave the console without an enabled administrator."),
    "staff.you": ("你", "you"),
    "staff.set_role": ("更改", "Change"),
    "staff.until": ("至", "until"),
    "staff.enable": ("启用", "Enable"),
    "staff.unlock": ("解除锁定", "Unlock"),
    "staff.reset": ("重置密码", "Reset password"),
    "staff.reset_submit": ("设置新密码", "Set the new password"),
    "flash.staff_role": ("角色已更改，该用户需重新登录。", "Role changed; the user must log in again."),
    "flash.staff_enabled": ("用户已启用。", "User enabled."),
    "flash.staff_unlocked": ("用户已解除锁定。", "User unlocked."),
    "flash.staff_password": ("密码已重置，该用户的会话已结束。", "Password reset; the user's sessions have ended."),
    "flash.account_password": ("密码已更改，你在其他地方的会话已结束。",
                               "Password changed; your other sessions have ended."),
    "account.title": ("我的账号", "My account"),
    "account.sessions": ("当前有效会话数", "Live sessions"),
    "account.change": ("修改密码", "Change my password"),
    "account.change_help": ("新密码至少 12 个字符，且不能包含用户名；修改后你在其他地方的会话将结束。",
                            "The new password needs at least 12 characters and must not contain your username; "
                            "your other sessions end after the change."),
    "account.current": ("当前密码", "Current password"),
    "account.submit": ("修改密码", "Change password"),
}
