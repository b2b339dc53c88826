// Stand-in for a video embed's tracking: sets IDE (on this origin, for the demo).
document.cookie = 'IDE=embed.' + Date.now() + '; Max-Age=3600; Path=/; SameSite=Lax';
